#include "common/vault_identity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"

static int path_in(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= size)
		return err_set(CER_ERR_USAGE, "%s: path too long", dir);
	return 0;
}

static json_t *hex_string(const uint8_t *bytes, size_t len)
{
	char hex[2 * 64 + 1];

	hex_encode(bytes, len, hex);
	return json_string(hex);
}

int vault_identity_write(const char *dir, const struct vault_identity *v)
{
	json_t *root = json_object(), *commitments = json_array(), *masters = json_array();
	char path[4096], *text = NULL;
	int fd = -1, r = 0;

	if (root == NULL || commitments == NULL || masters == NULL) {
		r = err_set(CER_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (unsigned j = 0; j < v->commitments.threshold; j++)
		json_array_append_new(commitments, hex_string(v->commitments.c[j], FELDMAN_POINT_BYTES));
	for (unsigned i = 0; i < v->key_master_count; i++) {
		json_t *m = json_object();
		json_object_set_new(m, "id", json_string(v->key_masters[i]));
		json_object_set_new(m, "share", json_integer(i + 1));
		json_array_append_new(masters, m);
	}
	json_object_set_new(root, "v", json_integer(VAULT_IDENTITY_VERSION));
	json_object_set_new(root, "vault", hex_string(v->id, sizeof(v->id)));
	json_object_set_new(root, "threshold", json_integer(v->commitments.threshold));
	json_object_set(root, "commitments", commitments);
	json_object_set(root, "key_masters", masters);
	json_object_set_new(root, "audit_public_key", hex_string(v->audit_public_key, 32));
	if ((text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL) {
		r = err_set(CER_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = path_in(path, sizeof(path), dir, VAULT_IDENTITY_FILE)) != 0)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = err_set(CER_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		r = err_set(CER_ERR_IO, "%s: write failed", path);
		unlink(path);
		goto out;
	}
	r = file_sync_dir(dir);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	json_decref(commitments);
	json_decref(masters);
	json_decref(root);
	return r;
}

static int take_hex(json_t *value, uint8_t *out, size_t len)
{
	const char *text = json_string_value(value);
	return text != NULL && hex_decode_exact(text, strlen(text), out, len) == 0 ? 0 : -1;
}

static int parse_identity(json_t *root, struct vault_identity *v)
{
	static const char *const fields[] = {"v",           "vault",       "threshold",
	                                     "commitments", "key_masters", "audit_public_key"};
	json_t *commitments, *masters;
	json_int_t threshold;
	uint8_t id[FELDMAN_VAULT_ID_BYTES];
	const char *key;
	json_t *value;

	if (!json_is_object(root) || json_object_size(root) != sizeof(fields) / sizeof(fields[0]))
		return err_set(CER_ERR_FORMAT, "expected an object with exactly the fields of version %d",
		               VAULT_IDENTITY_VERSION);
	json_object_foreach(root, key, value)
	{
		int known = 0;
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			known |= strcmp(key, fields[i]) == 0;
		if (!known)
			return err_set(CER_ERR_FORMAT, "unknown field \"%.32s\"", key);
	}
	if (!json_is_integer(json_object_get(root, "v")) || json_integer_value(json_object_get(root, "v")) != 1)
		return err_set(CER_ERR_UNSUPPORTED, "unknown version");
	threshold = json_integer_value(json_object_get(root, "threshold"));
	commitments = json_object_get(root, "commitments");
	masters = json_object_get(root, "key_masters");
	if (!json_is_integer(json_object_get(root, "threshold")) || threshold < FELDMAN_MIN_THRESHOLD ||
	    threshold > FELDMAN_MAX_SHARES || !json_is_array(commitments) ||
	    json_array_size(commitments) != (size_t)threshold || !json_is_array(masters) ||
	    json_array_size(masters) < (size_t)threshold || json_array_size(masters) > FELDMAN_MAX_SHARES)
		return err_set(CER_ERR_FORMAT, "bad threshold, commitments or key masters");
	memset(v, 0, sizeof(*v));
	v->commitments.threshold = (unsigned)threshold;
	for (size_t j = 0; j < (size_t)threshold; j++)
		if (take_hex(json_array_get(commitments, j), v->commitments.c[j], FELDMAN_POINT_BYTES) != 0)
			return err_set(CER_ERR_FORMAT, "commitment %zu is not 64 hex digits", j);
	for (size_t i = 0; i < json_array_size(masters); i++) {
		json_t *m = json_array_get(masters, i);
		const char *mid = json_string_value(json_object_get(m, "id"));
		if (!json_is_object(m) || json_object_size(m) != 2 || mid == NULL || strlen(mid) == 0 ||
		    strlen(mid) > VAULT_KEY_MASTER_ID_MAX || !json_is_integer(json_object_get(m, "share")) ||
		    json_integer_value(json_object_get(m, "share")) != (json_int_t)(i + 1))
			return err_set(CER_ERR_FORMAT, "key master %zu: expected {\"id\", \"share\": %zu}", i, i + 1);
		memcpy(v->key_masters[i], mid, strlen(mid) + 1);
	}
	v->key_master_count = (unsigned)json_array_size(masters);
	if (take_hex(json_object_get(root, "vault"), v->id, sizeof(v->id)) != 0 ||
	    take_hex(json_object_get(root, "audit_public_key"), v->audit_public_key, 32) != 0)
		return err_set(CER_ERR_FORMAT, "vault id or audit key is not hex of the right length");
	if (feldman_commitments_check(&v->commitments) != 0)
		return err_context(CER_ERR_FORMAT, "commitments");
	if (feldman_commitments_id(&v->commitments, id) != 0 || memcmp(id, v->id, sizeof(id)) != 0)
		return err_set(CER_ERR_VERIFY, "the vault id is not the id of its commitments");
	return 0;
}

int vault_identity_read(const char *dir, struct vault_identity *out)
{
	char path[4096];
	int r;

	if ((r = path_in(path, sizeof(path), dir, VAULT_IDENTITY_FILE)) != 0)
		return r;
	return vault_identity_read_file(path, out);
}

int vault_identity_read_file(const char *path, struct vault_identity *out)
{
	struct buf text = buf_make(VAULT_IDENTITY_MAX);
	json_error_t error;
	json_t *root = NULL;
	int r;

	if ((r = file_read_all(path, text.limit, &text)) != 0)
		goto out;
	root = json_loadb((const char *)text.data, text.len, JSON_REJECT_DUPLICATES, &error);
	if (root == NULL) {
		r = err_set(CER_ERR_FORMAT, "%s: line %d: %s", path, error.line, error.text);
		goto out;
	}
	if ((r = parse_identity(root, out)) != 0)
		err_context(r, "%s", path);
out:
	json_decref(root);
	buf_free(&text);
	return r;
}
