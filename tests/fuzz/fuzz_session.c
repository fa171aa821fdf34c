/* fuzz_session.c — libFuzzer target for a whole BMP session: arbitrary
 * bytes framed, decoded and applied to a model (peers, RIB views,
 * counters), then published as metrics. Split into two reads at a point
 * chosen by the first byte, as a socket would deliver it. Checks that
 * nothing crashes or leaks and that the model publishes afterwards. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "model.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct metrics_registry *reg = metrics_registry_new();
	struct model *m = reg ? model_new(reg) : NULL;
	struct model_router *r = m ? model_router_get(m, MODEL_SRC_BMP, "198.18.0.1") : NULL;
	struct bmp_session *s = r ? bmp_session_new(m, r) : NULL;
	uint8_t *buf = malloc(size + 1);
	size_t split = size > 0 ? data[0] % (size + 1) : 0, have = 0, used;
	int status = 0;

	if (s == NULL || buf == NULL)
		abort();
	/* first read */
	memcpy(buf, data, split);
	have = split;
	used = bmp_session_feed(s, buf, have, 1u << 20, 1.0, &status);
	memmove(buf, buf + used, have - used);
	have -= used;
	/* second read: the rest */
	if (status == 0) {
		memcpy(buf + have, data + split, size - split);
		have += size - split;
		(void)bmp_session_feed(s, buf, have, 1u << 20, 2.0, &status);
	}
	model_router_disconnected(m, r, 3.0);
	model_publish(m);
	while (model_gc(m) > 0)
		;
	bmp_session_free(s);
	model_free(m);
	metrics_registry_free(reg);
	free(buf);
	return 0;
}
