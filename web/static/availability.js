// The availability editor: adds and removes interval rows and date
// overrides. The form works without it (the server renders a few empty
// rows); with it, empty rows go and buttons add exactly what is needed.
// Field names stay the server's: weekly.<day>.start/end and
// override.<k>.date/start/end.

const form = document.getElementById("availability-form");
const rowTemplate = document.getElementById("interval-template");
const overrideTemplate = document.getElementById("override-template");
const overrides = document.getElementById("overrides");

function button(text, label, cls, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

// relabel names a group's rows after a change: ids, names and the
// accessible names ("Monday, hours 2, from") follow the rows' order.
function relabel(group) {
  const prefix = group.dataset.prefix;
  const id = prefix.replace(".", "-");
  const label = group.dataset.label;
  const rows = group.querySelectorAll(":scope > .rows > .interval-row");
  rows.forEach((row, i) => {
    const name = `${label}, hours ${i + 1}`;
    for (const part of ["start", "end"]) {
      const input = row.querySelector(`input[name$=".${part}"]`);
      const lab = input.previousElementSibling.tagName === "LABEL" ? input.previousElementSibling : null;
      input.id = `${id}-${i}-${part}`;
      input.name = `${prefix}.${part}`;
      if (lab) {
        lab.htmlFor = input.id;
        lab.textContent = `${name}, ${part === "start" ? "from" : "to"}`;
      }
    }
    const remove = row.querySelector(".remove-row");
    if (remove) remove.setAttribute("aria-label", `Remove ${name}`);
  });
  const empty = group.querySelector(":scope > .day-off");
  if (empty) empty.hidden = rows.length > 0;
}

function addRemove(group, row) {
  row.append(button("Remove", "Remove", "link remove-row", () => {
    row.remove();
    relabel(group);
    group.querySelector(".add-row")?.focus();
  }));
}

function addRow(group) {
  const row = rowTemplate.content.firstElementChild.cloneNode(true);
  group.querySelector(":scope > .rows").append(row);
  addRemove(group, row);
  relabel(group);
  row.querySelector("input").focus();
}

// setUp gives a day or an override its buttons and drops its spare rows.
function setUp(group) {
  group.querySelectorAll(":scope > .rows > .interval-row[data-spare]").forEach((r) => r.remove());
  group.querySelectorAll(":scope > .rows > .interval-row").forEach((r) => addRemove(group, r));
  if (group.classList.contains("day")) {
    const off = document.createElement("p");
    off.className = "hint day-off";
    off.textContent = "Unavailable";
    group.querySelector(":scope > .rows").before(off);
  }
  group.append(button("Add hours", `Add hours on ${group.dataset.label}`, "secondary small add-row", () => addRow(group)));
  relabel(group);
}

function relabelOverrides() {
  overrides.querySelectorAll(":scope > .override").forEach((o, i) => {
    const label = `Date override ${i + 1}`;
    o.dataset.label = label;
    o.querySelector("legend").textContent = label;
    const date = o.querySelector('input[type="date"]');
    date.previousElementSibling.textContent = `${label}, date`;
    o.querySelector(".add-row").setAttribute("aria-label", `Add hours on ${label}`);
    o.querySelector(".remove-override").setAttribute("aria-label", `Remove ${label}`);
    relabel(o);
  });
}

function setUpOverride(o) {
  setUp(o);
  o.append(button("Remove date", "Remove date", "link danger-link remove-override", () => {
    o.remove();
    relabelOverrides();
    document.getElementById("add-override").focus();
  }));
}

function addOverride() {
  const k = Number(overrides.dataset.next);
  overrides.dataset.next = String(k + 1);
  const o = overrideTemplate.content.firstElementChild.cloneNode(true);
  o.dataset.prefix = `override.${k}`;
  const date = o.querySelector('input[type="date"]');
  date.id = `override-${k}-date`;
  date.name = `override.${k}.date`;
  date.previousElementSibling.htmlFor = date.id;
  overrides.append(o);
  setUpOverride(o);
  relabelOverrides();
  date.focus();
}

// offerBrowserZone offers the browser's zone when the form names another.
function offerBrowserZone() {
  const select = document.getElementById("timezone");
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!select || !zone || select.value === zone || ![...select.options].some((o) => o.value === zone)) return;
  const use = button(`Use my time zone (${zone})`, `Use my time zone, ${zone}`, "link use-zone", () => {
    select.value = zone;
    use.remove();
    select.focus();
  });
  select.after(use);
}

if (form && rowTemplate && overrideTemplate && overrides) {
  offerBrowserZone();
  form.querySelectorAll("fieldset.day").forEach(setUp);
  overrides.querySelectorAll(":scope > .override[data-spare]").forEach((o) => o.remove());
  overrides.querySelectorAll(":scope > .override").forEach(setUpOverride);
  const add = button("Add a date", "Add a date override", "secondary", addOverride);
  add.id = "add-override";
  overrides.after(add);
  relabelOverrides();
}
