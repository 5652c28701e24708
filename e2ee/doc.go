// Package e2ee is Parley's end-to-end key agreement: long-term identity
// keys, a hybrid X25519 + ML-KEM-768 commit–reveal agreement with a short
// authentication string (SAS), sealed envelopes for everything peer-to-peer
// after it, and a key-continuity store. It imports only the standard
// library and golang.org/x/crypto.
//
// # Agreement
//
// Notation: H is SHA-256, ‖ concatenation, th_i the running transcript hash,
// body_i message i without its signature, Sig_X(m) an Ed25519 signature by
// X's identity key. Both sides know the call ID beforehand.
//
//	th0 = H(ProtocolName)
//
//	1. caller → callee  Commit   = body1 ‖ Sig_A("sig commit" ‖ th1)
//	   body1 = v ‖ 1 ‖ callID ‖ IK_A ‖ ekA ‖ hA
//	   hA    = H("commitment" ‖ xA_pub ‖ th0 ‖ callID ‖ IK_A)
//	   th1   = H(th0 ‖ body1)
//	2. callee → caller  Response = body2 ‖ Sig_B("sig response" ‖ th2)
//	   body2 = v ‖ 2 ‖ callID ‖ IK_B ‖ xB_pub ‖ ct,  (ct, ssK) = Encapsulate(ekA)
//	   th2   = H(th1 ‖ body2)
//	3. caller → callee  Reveal   = body3 ‖ Sig_A("sig reveal" ‖ th3)
//	   body3 = v ‖ 3 ‖ callID ‖ xA_pub        (callee: H(...xA_pub...) = hA or abort)
//	   th3   = H(th2 ‖ body3)
//
//	PRK      = HKDF-Extract(salt = th3, IKM = X25519(xA, xB) ‖ ssK)
//	k_A→B    = HKDF-Expand(PRK, "session" ‖ callID ‖ IK_A ‖ IK_B ‖ "caller to callee", 32)
//	k_B→A    = HKDF-Expand(PRK, "session" ‖ callID ‖ IK_A ‖ IK_B ‖ "callee to caller", 32)
//	SAS      = first 32 bits of H("sas" ‖ th3)
//
// The session key needs both X25519 and ML-KEM: an attacker must break both
// (a quantum computer recording today's traffic breaks only X25519).
//
// # Why a man in the middle gets exactly one guess
//
// A man in the middle (say, a malicious signaling server that also swaps
// identity keys on first contact) must run one agreement with each side and
// hope that SAS_A = H(th3 of A's run) equals SAS_B = H(th3 of B's run).
//
//   - Facing the caller A, it plays callee: it must send its xB' and ct'
//     while A's xA_pub is still hidden behind hA. Only then does A reveal
//     xA_pub, which fixes A's transcript and SAS. The attacker cannot try
//     candidate xB' values against A's SAS, since computing it needs xA_pub.
//   - Facing the callee B, it plays caller: it must commit to its xA' (hA')
//     before B picks xB_pub, and the commitment binds it to one xA' (finding
//     a second opening is a SHA-256 collision). B's fresh xB_pub then makes
//     B's SAS a uniformly random 32-bit value the attacker cannot steer.
//
// Whatever the order it runs the two halves in, one of the two SAS values
// is fixed by randomness the attacker sees only after it is committed, so
// each attack attempt matches with probability 2^-32. A failed attempt is
// a call whose emoji differ, which users notice; it cannot retry silently.
// What it can do is spend more attempts: having fixed SAS_A, it could ring
// B again and again until one run happens to match. Every such attempt is
// a visible call setup at B (a ring, then an aborted call), so the number
// of guesses is bounded by what users tolerate and by the signaling
// server's invite rate limits, not by computation; a Caller or Callee
// accepts exactly one peer message per step and cannot be re-driven.
//
// # Signatures
//
// Each message is signed by its sender's identity key, over the running
// transcript hash rather than over the message alone. We chose per-message
// signatures over one transcript signature at the end because a forged or
// altered message is then rejected at the step it arrives — the callee
// does no ML-KEM work for a forged Commit and the caller reveals nothing in
// answer to a forged Response — and because each signature over th_i covers
// everything before it, the caller's last signature (over th3) and the
// callee's (over th2, which fixes hA and so xA_pub) still bind the whole
// transcript; no extra message is needed. Identity signatures stop an
// attacker who lacks the identity keys; the SAS stops one who substituted
// identity keys too (first contact through a lying server).
//
// # Envelopes
//
// After the agreement, Session.Seal and Session.Open carry SDP, ICE
// candidates and hang-up as ChaCha20-Poly1305 envelopes under per-direction
// keys; see envelope.go for the format. Delivery is strictly in order
// (signaling runs over one ordered connection): a replay, a duplicate or a
// gap is rejected and leaves the session usable.
//
// # Key continuity
//
// Store pins each peer's identity key on first contact, marks it verified
// after the users compared the SAS, and reports a changed key as
// StatusChanged with ErrIdentityChanged.
//
// # Wiping and its limits
//
// Ephemeral seeds, shared secrets, HKDF material and session keys are
// cleared with clear() as soon as they are used, IdentityKey.Wipe zeroes the
// private key, and Session.Close drops the AEAD states. Go limits this:
// crypto/ecdh.PrivateKey, mlkem.DecapsulationKey768 and the ChaCha20-Poly1305
// state keep private copies in unexported fields we can only drop for the
// garbage collector, the runtime may have copied stack or heap memory
// (stack growth, GC moves nothing but does not zero freed memory either),
// and strings can never be wiped. Treat wiping as damage limitation, not a
// guarantee; GOEXPERIMENT=runtimesecret (runtime/secret) can narrow the gap
// once it is stable. Secrets are never formatted: IdentityKey and Session
// print redacted forms, and errors carry no key bytes.
//
// # Randomness
//
// Config.Rand and the rnd arguments inject randomness; nil means
// crypto/rand. With a deterministic reader the whole agreement is
// reproducible, which the golden test vectors in testdata rely on.
package e2ee
