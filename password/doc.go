// Package password hashes and verifies passwords with argon2id, storing
// them as PHC strings ($argon2id$v=19$m=…,t=…,p=…$salt$hash) that carry
// their own parameters, so the parameters can be raised later without
// invalidating stored hashes.
package password
