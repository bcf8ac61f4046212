package turn_test

import (
	"io"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/vidivo/vidivo/turn"
)

// TestWebRTCThroughTURN connects two pion/webrtc peers that may only use
// relay candidates from the embedded server, with minted credentials, and
// passes a DataChannel message each way: the server relays real WebRTC
// (STUN/ICE, DTLS, SCTP), over UDP and over TCP to the server.
func TestWebRTCThroughTURN(t *testing.T) {
	t.Parallel()
	srv, w := startServer(t, turn.ServerConfig{})
	for i, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			m := &turn.Minter{Secret: testSecret, URLs: srv.URLs("")[i : i+1]}
			a := newRelayOnlyPeer(t, w, m.Mint("alice", time.Now()))
			b := newRelayOnlyPeer(t, w, m.Mint("bob", time.Now()))

			fromA, fromB := make(chan string, 1), make(chan string, 1)
			dcA, err := a.CreateDataChannel("chat", nil)
			if err != nil {
				t.Fatal(err)
			}
			dcA.OnOpen(func() { _ = dcA.SendText("hello from alice") })
			dcA.OnMessage(func(msg webrtc.DataChannelMessage) { fromB <- string(msg.Data) })
			b.OnDataChannel(func(dc *webrtc.DataChannel) {
				dc.OnMessage(func(msg webrtc.DataChannelMessage) {
					fromA <- string(msg.Data)
					_ = dc.SendText("hello from bob")
				})
			})

			// Signaling in-process, without trickle: each description
			// carries its gathered (relay) candidates.
			offer, err := a.CreateOffer(nil)
			if err != nil {
				t.Fatal(err)
			}
			setLocal(t, a, offer)
			if err := b.SetRemoteDescription(*a.LocalDescription()); err != nil {
				t.Fatal(err)
			}
			answer, err := b.CreateAnswer(nil)
			if err != nil {
				t.Fatal(err)
			}
			setLocal(t, b, answer)
			if err := a.SetRemoteDescription(*b.LocalDescription()); err != nil {
				t.Fatal(err)
			}

			timeout := time.After(20 * time.Second)
			for _, want := range []struct {
				ch  chan string
				msg string
			}{{fromA, "hello from alice"}, {fromB, "hello from bob"}} {
				select {
				case got := <-want.ch:
					if got != want.msg {
						t.Errorf("got %q, want %q", got, want.msg)
					}
				case <-timeout:
					t.Fatalf("no %q within 20 s (ICE %s / %s)", want.msg, a.ICEConnectionState(), b.ICEConnectionState())
				}
			}

			for name, pc := range map[string]*webrtc.PeerConnection{"alice": a, "bob": b} {
				pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
				if err != nil || pair == nil {
					t.Fatalf("%s: selected pair: %v, %v", name, pair, err)
				}
				if pair.Local.Typ != webrtc.ICECandidateTypeRelay || pair.Remote.Typ != webrtc.ICECandidateTypeRelay {
					t.Errorf("%s: selected pair %s, want relay to relay", name, pair)
				}
				// The local candidates reach the server over this subtest's
				// transport.
				n := 0
				for _, st := range pc.GetStats() {
					if c, ok := st.(webrtc.ICECandidateStats); ok && c.Type == webrtc.StatsTypeLocalCandidate {
						n++
						if c.CandidateType != webrtc.ICECandidateTypeRelay || c.RelayProtocol != tr {
							t.Errorf("%s: local candidate %s relay protocol %q, want a relay over %s", name, c.CandidateType, c.RelayProtocol, tr)
						}
					}
				}
				if n == 0 {
					t.Errorf("%s: no local candidate stats", name)
				}
			}
		})
	}
}

func newRelayOnlyPeer(t *testing.T, w io.Writer, c turn.Credentials) *webrtc.PeerConnection {
	t.Helper()
	var se webrtc.SettingEngine
	se.LoggerFactory = pionLogger(w)
	se.SetRelayAcceptanceMinWait(0)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{
		ICEServers:         []webrtc.ICEServer{{URLs: c.URLs, Username: c.Username, Credential: c.Credential}},
		ICETransportPolicy: webrtc.ICETransportPolicyRelay,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pc.GracefulClose(); err != nil {
			t.Errorf("close peer: %v", err)
		}
	})
	return pc
}

// setLocal sets desc and waits for ICE gathering to finish.
func setLocal(t *testing.T, pc *webrtc.PeerConnection, desc webrtc.SessionDescription) {
	t.Helper()
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("ICE gathering did not finish within 20 s")
	}
}
