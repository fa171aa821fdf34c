/* fuzz_spool.c — libFuzzer target for the Kafka spool reader and the event
 * decoders: what comes back from disk after a crash or from a broker.
 *
 * The input is read as a spool segment: every record spool_scan finds must
 * lie inside the input, and goes to the protobuf event decoder (a spooled
 * record is an encoded Event); the whole input also goes to both event
 * decoders directly. A decoded event must re-encode (protobuf and JSON)
 * and decode again to the same event: the codecs agree on everything they
 * accept.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event_codec.h"
#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t pb[CW_EVENT_PB_MAX];

static void check_event(const struct cw_event *ev)
{
	struct cw_event *back = malloc(sizeof(*back));
	size_t n;
	char *json;

	if (back == NULL)
		return;
	if (cw_event_encode_pb(ev, pb, sizeof(pb), &n) != 0)
		abort(); /* every decodable event fits CW_EVENT_PB_MAX */
	if (cw_event_decode_pb(pb, n, back) != CW_EVENT_OK || memcmp(back, ev, sizeof(*ev)) != 0)
		abort();
	json = cw_event_encode_json(ev);
	if (json != NULL) {
		if (cw_event_decode_json(json, strlen(json), back) != CW_EVENT_OK)
			abort();
		free(json);
	}
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_damage dmg = {0};
	struct cw_event *ev = malloc(sizeof(*ev));
	const uint8_t *rec;
	size_t pos = 0, len, prev = 0;

	if (ev == NULL)
		return 0;
	while (spool_scan(data, size, &pos, &rec, &len, &dmg) == 1) {
		if (rec < data || rec + len > data + size || pos <= prev || pos > size ||
		    len > SPOOL_RECORD_MAX)
			abort();
		prev = pos;
		if (cw_event_decode_pb(rec, len, ev) == CW_EVENT_OK)
			check_event(ev);
	}
	if (pos != size)
		abort();
	if (cw_event_decode_pb(data, size, ev) == CW_EVENT_OK)
		check_event(ev);
	if (cw_event_decode_json((const char *)data, size, ev) == CW_EVENT_OK)
		check_event(ev);
	free(ev);
	return 0;
}
