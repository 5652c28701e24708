#!/usr/bin/env python3
"""Independent check of agreement.golden.json with the Python `cryptography`
package: recomputes xA from the recorded random stream, the transcript
hashes, all three Ed25519 signatures, the X25519 secret, the HKDF key
schedule, the SAS, and opens every recorded envelope. ML-KEM is taken from
the vector (mlkem_shared_secret); everything else is recomputed.
Not run by `go test`; run by hand: python3 testdata/verify_golden.py"""
import hashlib, hmac, json, os, struct
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

v = json.load(open(os.path.join(os.path.dirname(__file__), "agreement.golden.json")))
H = lambda b: hashlib.sha256(b).digest()


def stream(label, n):
    out, c = b"", 0
    while len(out) < n:
        out += H(label.encode() + struct.pack(">Q", c))
        c += 1
    return out[:n]


m1, m2, m3 = (bytes.fromhex(v[k]) for k in ("message1_commit", "message2_response", "message3_reveal"))
call_id, ik_a, h_a = m1[2:18], m1[18:50], m1[-96:-64]
ik_b, xb_pub = m2[18:50], m2[50:82]
xa = X25519PrivateKey.from_private_bytes(stream(v["caller_rand_label"], 32))
xa_pub = xa.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
assert m3[18:50] == xa_pub, "reveal"
th0 = H(b"Parley-E2EE-v1 X25519+MLKEM768 Ed25519 SHA-256 HKDF ChaCha20-Poly1305")
assert H(b"parley commitment v1\x00" + xa_pub + th0 + call_id + ik_a) == h_a, "commitment"
th1 = H(th0 + m1[:-64])
th2 = H(th1 + m2[:-64])
th3 = H(th2 + m3[:-64])
assert th3.hex() == v["transcript_hash"], "transcript"
for m, th, label, ik in ((m1, th1, b"commit", ik_a), (m2, th2, b"response", ik_b), (m3, th3, b"reveal", ik_a)):
    Ed25519PublicKey.from_public_bytes(ik).verify(m[-64:], b"parley signature " + label + b" v1\x00" + th)
dh = xa.exchange(X25519PublicKey.from_public_bytes(xb_pub))
assert dh.hex() == v["x25519_shared_secret"], "x25519"
prk = hmac.new(th3, dh + bytes.fromhex(v["mlkem_shared_secret"]), hashlib.sha256).digest()
info = b"parley session v1\x00" + call_id + ik_a + ik_b
k_ab = hmac.new(prk, info + b"caller to callee\x01", hashlib.sha256).digest()
k_ba = hmac.new(prk, info + b"callee to caller\x01", hashlib.sha256).digest()
assert (k_ab.hex(), k_ba.hex()) == (v["key_caller_to_callee"], v["key_callee_to_caller"]), "keys"
for key, envs in ((k_ab, v["envelopes_caller_to_callee"]), (k_ba, v["envelopes_callee_to_caller"])):
    for i, e in enumerate(envs):
        e = bytes.fromhex(e)
        assert e[0] == 1 and struct.unpack(">Q", e[1:9])[0] == i
        nonce = b"\0" * 4 + e[1:9][::-1]
        assert ChaCha20Poly1305(key).decrypt(nonce, e[9:], e[:9]).decode() == v["plaintext"]
assert H(b"parley sas v1\x00" + th3)[:4].hex() == v["sas_hex"], "sas"
print("golden vector verified independently")
