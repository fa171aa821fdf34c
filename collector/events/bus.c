/* bus.c — fan-out of events to subscribers on the loop thread. */
#include "bus.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct subscriber {
	ev_subscriber_fn fn;
	void *arg;
};

struct ev_bus {
	uint8_t boot_id[EV_BOOT_ID_LEN];
	uint64_t seq, dropped;
	unsigned depth;
	size_t nsubs;
	struct subscriber subs[EV_BUS_MAX_SUBSCRIBERS];
};

struct ev_bus *ev_bus_new(const uint8_t *boot_id)
{
	struct ev_bus *bus = calloc(1, sizeof(*bus));

	if (bus == NULL)
		return NULL;
	if (boot_id != NULL) {
		memcpy(bus->boot_id, boot_id, EV_BOOT_ID_LEN);
	} else if (getrandom(bus->boot_id, EV_BOOT_ID_LEN, 0) != EV_BOOT_ID_LEN) {
		free(bus);
		return NULL;
	}
	return bus;
}

void ev_bus_free(struct ev_bus *bus)
{
	free(bus);
}

int ev_subscribe(struct ev_bus *bus, ev_subscriber_fn fn, void *arg)
{
	if (bus == NULL || fn == NULL || bus->nsubs >= EV_BUS_MAX_SUBSCRIBERS)
		return -1;
	bus->subs[bus->nsubs++] = (struct subscriber){fn, arg};
	return 0;
}

void ev_unsubscribe(struct ev_bus *bus, ev_subscriber_fn fn, void *arg)
{
	if (bus == NULL)
		return;
	for (size_t i = 0; i < bus->nsubs; i++) {
		if (bus->subs[i].fn == fn && bus->subs[i].arg == arg) {
			memmove(&bus->subs[i], &bus->subs[i + 1],
				(bus->nsubs - i - 1) * sizeof(bus->subs[0]));
			bus->nsubs--;
			return;
		}
	}
}

static bool has_id(const struct cw_event *ev)
{
	for (size_t i = 0; i < CW_EVENT_ID_LEN; i++)
		if (ev->id[i] != 0)
			return true;
	return false;
}

void ev_emit(struct ev_bus *bus, const struct cw_event *ev)
{
	struct cw_event *e;

	if (bus == NULL)
		return;
	if (bus->depth >= EV_BUS_MAX_DEPTH || (e = malloc(sizeof(*e))) == NULL) {
		bus->dropped++;
		return;
	}
	memcpy(e, ev, sizeof(*e));
	if (!has_id(e)) {
		uint64_t s = ++bus->seq;

		memcpy(e->id, bus->boot_id, EV_BOOT_ID_LEN);
		/* big-endian: the hex ids of one boot sort in emission order */
		for (int i = 0; i < 8; i++)
			e->id[EV_BOOT_ID_LEN + i] = (uint8_t)(s >> (56 - 8 * i));
	}
	bus->depth++;
	/* a subscriber may unsubscribe itself: walk by index, re-checking n */
	for (size_t i = 0; i < bus->nsubs; i++)
		bus->subs[i].fn(bus->subs[i].arg, e);
	bus->depth--;
	free(e);
}

uint64_t ev_bus_emitted(const struct ev_bus *bus)
{
	return bus != NULL ? bus->seq : 0;
}

uint64_t ev_bus_dropped(const struct ev_bus *bus)
{
	return bus != NULL ? bus->dropped : 0;
}
