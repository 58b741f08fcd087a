#include "common/sshsig.h"

#include <string.h>

#include <sodium.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/hash.h"

/* The signed data is at most: magic + namespace + reserved + hash name + 64-byte digest. */
#define SIGNED_DATA_MAX (SSHSIG_MAGIC_BYTES + 4 + SSHSIG_NAMESPACE_MAX + 4 + 4 + 16 + 4 + SHA512_DIGEST_BYTES)

int sshsig_signed_data(const char *namespace, const char *hash_algorithm, const uint8_t *msg, size_t msg_len,
                       struct buf *out)
{
	uint8_t digest[SHA512_DIGEST_BYTES];
	size_t digest_len;
	int r;

	if (strcmp(hash_algorithm, SSHSIG_HASH_SHA512) == 0) {
		sha512_digest(msg, msg_len, digest);
		digest_len = SHA512_DIGEST_BYTES;
	} else if (strcmp(hash_algorithm, SSHSIG_HASH_SHA256) == 0) {
		sha256_digest(msg, msg_len, digest);
		digest_len = SHA256_DIGEST_BYTES;
	} else {
		return err_set(CER_ERR_UNSUPPORTED, "signature: unsupported hash algorithm \"%s\"", hash_algorithm);
	}
	if ((r = buf_append(out, SSHSIG_MAGIC, SSHSIG_MAGIC_BYTES)) != 0 ||
	    (r = buf_put_cstring(out, namespace)) != 0 || (r = buf_put_string(out, "", 0)) != 0 ||
	    (r = buf_put_cstring(out, hash_algorithm)) != 0 || (r = buf_put_string(out, digest, digest_len)) != 0)
		return r;
	return 0;
}

int sshsig_armor(const uint8_t *blob, size_t len, struct buf *armored)
{
	struct buf b64 = buf_make(SSHSIG_ARMORED_MAX * 4);
	int r;

	if ((r = base64_append(&b64, blob, len)) != 0 || (r = buf_append_str(armored, SSHSIG_ARMOR_BEGIN "\n")) != 0)
		goto out;
	for (size_t i = 0; i < b64.len; i += SSHSIG_ARMOR_LINE) {
		size_t n = b64.len - i < SSHSIG_ARMOR_LINE ? b64.len - i : SSHSIG_ARMOR_LINE;
		if ((r = buf_append(armored, b64.data + i, n)) != 0 || (r = buf_append_str(armored, "\n")) != 0)
			goto out;
	}
	r = buf_append_str(armored, SSHSIG_ARMOR_END "\n");
out:
	buf_free(&b64);
	return r;
}

static int is_blank(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

int sshsig_dearmor(const uint8_t *armored, size_t len, struct buf *blob)
{
	const size_t begin_len = strlen(SSHSIG_ARMOR_BEGIN), end_len = strlen(SSHSIG_ARMOR_END);
	const uint8_t *p = armored, *end = armored + len, *body, *body_end;

	if (len > SSHSIG_ARMORED_MAX)
		return err_set(CER_ERR_FORMAT, "signature: bad armor (larger than %d bytes)", SSHSIG_ARMORED_MAX);
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	if ((size_t)(end - p) < begin_len + end_len || memcmp(p, SSHSIG_ARMOR_BEGIN, begin_len) != 0)
		return err_set(CER_ERR_FORMAT, "signature: bad armor (missing \"%s\")", SSHSIG_ARMOR_BEGIN);
	if (memcmp(end - end_len, SSHSIG_ARMOR_END, end_len) != 0)
		return err_set(CER_ERR_FORMAT, "signature: bad armor (missing \"%s\" at the end)", SSHSIG_ARMOR_END);
	body = p + begin_len;
	body_end = end - end_len;
	if (memchr(body, '-', (size_t)(body_end - body)) != NULL)
		return err_set(CER_ERR_FORMAT, "signature: bad armor (more than one block)");
	if (base64_decode((const char *)body, (size_t)(body_end - body), " \t\r\n", blob) != 0)
		return err_set(CER_ERR_FORMAT, "signature: bad armor (invalid base64)");
	return 0;
}

int sshsig_parse_blob(const uint8_t *blob, size_t len, struct sshsig_parts *out)
{
	struct cursor c = cursor_make(blob, len), sc;
	const uint8_t *magic, *pub, *reserved, *hash, *sig, *raw;
	size_t pub_len, reserved_len, hash_len, sig_len, raw_len;
	uint32_t version;
	int r;

	if ((r = cursor_get_bytes(&c, SSHSIG_MAGIC_BYTES, &magic)) != 0)
		return err_context(r, "signature");
	if (memcmp(magic, SSHSIG_MAGIC, SSHSIG_MAGIC_BYTES) != 0)
		return err_set(CER_ERR_FORMAT, "signature: bad magic (not an SSHSIG signature)");
	if ((r = cursor_get_u32(&c, &version)) != 0)
		return err_context(r, "signature");
	if (version != SSHSIG_VERSION)
		return err_set(CER_ERR_UNSUPPORTED, "signature: unsupported SSHSIG version %u", version);
	if ((r = cursor_get_string(&c, 1024, &pub, &pub_len)) != 0 ||
	    (r = cursor_get_text(&c, SSHSIG_NAMESPACE_MAX, &out->namespace, &out->namespace_len)) != 0 ||
	    (r = cursor_get_string(&c, 1024, &reserved, &reserved_len)) != 0 ||
	    (r = cursor_get_text(&c, 64, &hash, &hash_len)) != 0 ||
	    (r = cursor_get_string(&c, 1024, &sig, &sig_len)) != 0)
		return err_context(r, "signature");
	if ((r = cursor_expect_end(&c)) != 0)
		return err_context(r, "signature");
	if (out->namespace_len == 0) /* PROTOCOL.sshsig: the namespace MUST NOT be empty */
		return err_set(CER_ERR_FORMAT, "signature: empty namespace");
	if ((r = sshkey_public_from_blob(&out->key, pub, pub_len)) != 0)
		return err_context(r, "signature");
	if (bytes_equal_cstring(hash, hash_len, SSHSIG_HASH_SHA512))
		out->hash_algorithm = SSHSIG_HASH_SHA512;
	else if (bytes_equal_cstring(hash, hash_len, SSHSIG_HASH_SHA256))
		out->hash_algorithm = SSHSIG_HASH_SHA256;
	else
		return err_set(CER_ERR_UNSUPPORTED, "signature: unsupported hash algorithm \"%.*s\"",
		               (int)(hash_len > 64 ? 64 : hash_len), (const char *)hash);
	/* The signature field: string "ssh-ed25519" then string raw-signature, nothing after. */
	sc = cursor_make(sig, sig_len);
	if ((r = cursor_get_text(&sc, 64, &raw, &raw_len)) != 0)
		return err_context(r, "signature");
	if (!bytes_equal_cstring(raw, raw_len, SSHKEY_ED25519_NAME))
		return err_set(CER_ERR_UNSUPPORTED, "signature: unsupported signature type \"%.*s\"", (int)raw_len,
		               (const char *)raw);
	if ((r = cursor_get_string(&sc, 128, &raw, &raw_len)) != 0 || (r = cursor_expect_end(&sc)) != 0)
		return err_context(r, "signature");
	if (raw_len != SSHKEY_ED25519_SIGNATURE_BYTES)
		return err_set(CER_ERR_FORMAT, "signature: Ed25519 signature of %zu bytes (expected 64)", raw_len);
	out->signature = raw;
	(void)reserved; /* reserved content is ignored, as PROTOCOL.sshsig says */
	return 0;
}

int sshsig_sign(struct signer *signer, const char *namespace, const uint8_t *msg, size_t msg_len, struct buf *armored)
{
	struct buf data = buf_make(SIGNED_DATA_MAX), blob = buf_make(SSHSIG_ARMORED_MAX), sigfield = buf_make(256);
	uint8_t keyblob[SSHKEY_ED25519_BLOB_BYTES], sig[SSHKEY_ED25519_SIGNATURE_BYTES];
	int r;

	if (namespace[0] == '\0' || strlen(namespace) > SSHSIG_NAMESPACE_MAX)
		return err_set(CER_ERR_USAGE, "signature: namespace must be 1 to %d bytes", SSHSIG_NAMESPACE_MAX);
	sshkey_public_to_blob(signer_public_key(signer), keyblob);
	if ((r = sshsig_signed_data(namespace, SSHSIG_HASH_SHA512, msg, msg_len, &data)) != 0 ||
	    (r = signer_sign(signer, data.data, data.len, sig)) != 0)
		goto out;
	if ((r = buf_put_cstring(&sigfield, SSHKEY_ED25519_NAME)) != 0 ||
	    (r = buf_put_string(&sigfield, sig, sizeof(sig))) != 0)
		goto out;
	if ((r = buf_append(&blob, SSHSIG_MAGIC, SSHSIG_MAGIC_BYTES)) != 0 ||
	    (r = buf_put_u32(&blob, SSHSIG_VERSION)) != 0 ||
	    (r = buf_put_string(&blob, keyblob, sizeof(keyblob))) != 0 ||
	    (r = buf_put_cstring(&blob, namespace)) != 0 || (r = buf_put_string(&blob, "", 0)) != 0 ||
	    (r = buf_put_cstring(&blob, SSHSIG_HASH_SHA512)) != 0 ||
	    (r = buf_put_string(&blob, sigfield.data, sigfield.len)) != 0)
		goto out;
	r = sshsig_armor(blob.data, blob.len, armored);
out:
	buf_free(&data);
	buf_free(&blob);
	buf_free(&sigfield);
	return r;
}

int sshsig_verify_blob(const uint8_t *blob, size_t blob_len, const char *namespace, const uint8_t *msg, size_t msg_len,
                       struct sshkey_public *signer_out)
{
	struct buf data = buf_make(SIGNED_DATA_MAX);
	struct sshsig_parts parts;
	int r;

	if ((r = sshsig_parse_blob(blob, blob_len, &parts)) != 0)
		return r;
	if (!bytes_equal_cstring(parts.namespace, parts.namespace_len, namespace))
		return err_set(CER_ERR_VERIFY, "signature: wrong namespace \"%.*s\" (expected \"%s\")",
		               (int)parts.namespace_len, (const char *)parts.namespace, namespace);
	if ((r = sshsig_signed_data(namespace, parts.hash_algorithm, msg, msg_len, &data)) != 0)
		goto out;
	if (crypto_sign_ed25519_verify_detached(parts.signature, data.data, data.len, parts.key.ed25519) != 0) {
		r = err_set(CER_ERR_VERIFY, "signature: does not verify (message changed or signature forged)");
		goto out;
	}
	*signer_out = parts.key;
out:
	buf_free(&data);
	return r;
}

int sshsig_verify(const uint8_t *armored, size_t armored_len, const char *namespace, const uint8_t *msg, size_t msg_len,
                  struct sshkey_public *signer_out)
{
	struct buf blob = buf_make(SSHSIG_ARMORED_MAX);
	int r;

	if ((r = sshsig_dearmor(armored, armored_len, &blob)) == 0)
		r = sshsig_verify_blob(blob.data, blob.len, namespace, msg, msg_len, signer_out);
	buf_free(&blob);
	return r;
}
