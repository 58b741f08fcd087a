/* common/pgpwords: the known-answer vectors of shared/vectors/pgp-words.txt, and the table itself
 * against shared/data/pgp-wordlist.tsv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/init.h"
#include "common/pgpwords.h"

static void setup(void)
{
	cr_assert_eq(ceremony_init(), 0, "%s", err_message());
}

TestSuite(pgpwords, .init = setup);

struct vector {
	char message[256];
	char hex[SHA256_HEX_CHARS + 1];
	char words[1024];
};

/* The two vectors of shared/vectors/pgp-words.txt, for when the shared directory is not there. */
static const struct vector embedded[] = {
        {"mekmitasdigoat", "8d9eadc1f305d46f1f203886aa5df98f1ed62fcbacc23d2f6732d24d928703e8",
         "optic onlooker ringbolt recover upset almighty steamship hemisphere billiard butterfat classic letterhead "
         "reward filament waffle midsummer berserk speculate cement revival ribcage repellent commence combustion "
         "freedom component standard disruptive physique liberty acme typewriter"},
        {"The quick brown fox jumps over the lazy dog",
         "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
         "stopwatch paramount watchword pocketful ahead stethoscope merit molecule gazelle revenue pupil pyramid "
         "ruffled antenna buzzard document optic escapade drunken tradition goggles crossover suspense impetus button "
         "aftermath stagnate rebellion clamshell retrospect topmost misnomer"},
};

static FILE *open_shared(const char *relative)
{
	const char *dir = getenv("CEREMONY_SHARED_DIR");
	char path[4096];

	if (dir == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, relative);
	return fopen(path, "r");
}

static void strip_newline(char *line)
{
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
}

/* Read "message|hex|words" lines; returns the number read (0 when the file is missing). */
static size_t read_vectors(struct vector *out, size_t max)
{
	FILE *f = open_shared("vectors/pgp-words.txt");
	char line[2048];
	size_t n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *bar1, *bar2;

		strip_newline(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		bar1 = strchr(line, '|');
		cr_assert_not_null(bar1, "malformed vector line: %s", line);
		bar2 = strchr(bar1 + 1, '|');
		cr_assert_not_null(bar2, "malformed vector line: %s", line);
		*bar1 = *bar2 = '\0';
		cr_assert_lt(n, max);
		cr_assert_lt(strlen(line), sizeof(out[n].message));
		cr_assert_eq(strlen(bar1 + 1), SHA256_HEX_CHARS);
		cr_assert_lt(strlen(bar2 + 1), sizeof(out[n].words));
		/* Lengths checked just above. */
		memcpy(out[n].message, line, strlen(line) + 1);
		memcpy(out[n].hex, bar1 + 1, SHA256_HEX_CHARS + 1);
		memcpy(out[n].words, bar2 + 1, strlen(bar2 + 1) + 1);
		n++;
	}
	fclose(f);
	return n;
}

static void check_vector(const struct vector *v)
{
	uint8_t digest[SHA256_DIGEST_BYTES];
	char hex[SHA256_HEX_CHARS + 1];
	struct buf words = buf_make(4096);

	sha256_digest(v->message, strlen(v->message), digest);
	hex_encode(digest, sizeof(digest), hex);
	cr_assert_str_eq(hex, v->hex, "SHA-256 of \"%s\"", v->message);
	cr_assert_eq(pgpwords_append(&words, digest, sizeof(digest)), 0, "%s", err_message());
	cr_assert_str_eq((const char *)words.data, v->words, "words for \"%s\"", v->message);
	buf_free(&words);
}

Test(pgpwords, shared_vectors)
{
	struct vector vectors[16];
	size_t n = read_vectors(vectors, 16);

	if (n == 0) {
		cr_log_warn("shared/vectors/pgp-words.txt not found; using the embedded copies");
		for (size_t i = 0; i < sizeof(embedded) / sizeof(embedded[0]); i++)
			check_vector(&embedded[i]);
		return;
	}
	cr_assert_geq(n, 2);
	for (size_t i = 0; i < n; i++)
		check_vector(&vectors[i]);
}

Test(pgpwords, embedded_vectors)
{
	for (size_t i = 0; i < sizeof(embedded) / sizeof(embedded[0]); i++)
		check_vector(&embedded[i]);
}

Test(pgpwords, table_matches_wordlist)
{
	FILE *f = open_shared("data/pgp-wordlist.tsv");
	char line[256];
	unsigned rows = 0;

	if (f == NULL) {
		cr_skip_test("shared/data/pgp-wordlist.tsv not found");
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *even, *odd, *end;
		unsigned long byte;

		strip_newline(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		even = strchr(line, '\t');
		cr_assert_not_null(even);
		*even++ = '\0';
		odd = strchr(even, '\t');
		cr_assert_not_null(odd);
		*odd++ = '\0';
		byte = strtoul(line, &end, 16);
		cr_assert(*end == '\0' && byte < 256, "bad byte column %s", line);
		cr_assert_eq(byte, rows, "rows in order");
		cr_assert_str_eq(pgpwords_even[byte], even, "even word for %02lx", byte);
		cr_assert_str_eq(pgpwords_odd[byte], odd, "odd word for %02lx", byte);
		rows++;
	}
	fclose(f);
	cr_assert_eq(rows, 256);
}

Test(pgpwords, even_and_odd_positions)
{
	static const uint8_t bytes[] = {0x00, 0x00, 0xff, 0xff};
	struct buf out = buf_make(256);
	char expected[256];

	snprintf(expected, sizeof(expected), "%s %s %s %s", pgpwords_even[0], pgpwords_odd[0], pgpwords_even[255],
	         pgpwords_odd[255]);
	cr_assert_eq(pgpwords_append(&out, bytes, sizeof(bytes)), 0);
	cr_assert_str_eq((const char *)out.data, expected);
	cr_assert_str_eq((const char *)out.data, "aardvark adroitness Zulu Yucatan");
	buf_free(&out);
}

Test(pgpwords, swapped_bytes_sound_different)
{
	static const uint8_t ab[] = {0x12, 0x34}, ba[] = {0x34, 0x12};
	struct buf x = buf_make(256), y = buf_make(256);

	cr_assert_eq(pgpwords_append(&x, ab, 2), 0);
	cr_assert_eq(pgpwords_append(&y, ba, 2), 0);
	cr_assert_str_neq((const char *)x.data, (const char *)y.data);
	/* No word is both an even and an odd word: a dropped byte shifts the parity and is heard. */
	for (int i = 0; i < 256; i++)
		for (int j = 0; j < 256; j++)
			cr_assert(strcmp(pgpwords_even[i], pgpwords_odd[j]) != 0, "%s in both lists", pgpwords_even[i]);
	buf_free(&x);
	buf_free(&y);
}

Test(pgpwords, empty_and_single)
{
	static const uint8_t one[] = {0x01};
	struct buf out = buf_make(256);

	cr_assert_eq(pgpwords_append(&out, one, 0), 0);
	cr_assert_eq(out.len, 0);
	cr_assert_eq(pgpwords_append(&out, one, 1), 0);
	cr_assert_str_eq((const char *)out.data, "absurd", "no leading or trailing space");
	buf_free(&out);
}

Test(pgpwords, respects_buffer_limit)
{
	uint8_t digest[SHA256_DIGEST_BYTES] = {0};
	struct buf out = buf_make(20);

	cr_assert_eq(pgpwords_append(&out, digest, sizeof(digest)), CER_ERR_FORMAT);
	cr_assert(strstr(err_message(), "too large") != NULL, "%s", err_message());
	buf_free(&out);
}
