/* Strict XML: xml_parse_strict with the record namespace and root, the one door all XML comes in by.
 * Each input is parsed twice: as a record is (no comments) and as a scenario is (comments allowed);
 * whatever the stricter parse accepts, the other must accept too. */
#include <libxml/parser.h>

#include "common/xml.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	xmlInitParser();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xmlDoc *doc = NULL;

	if (xml_parse_strict(&doc, data, size, "urn:ceremony:record:1", "record", size > 0 && (data[0] & 1)) == 0) {
		FUZZ_CHECK(doc != NULL);
		FUZZ_CHECK(doc->intSubset == NULL && doc->extSubset == NULL);
	} else {
		FUZZ_CHECK(doc == NULL);
	}
	xmlFreeDoc(doc);
	return 0;
}
