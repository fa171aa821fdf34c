/* bus.h — the event bus: on the loop thread, every emitted event goes to
 * every subscriber, in emission order (the Kafka exporter now, alerts
 * later). The bus gives each event its id: 8 bytes of boot id + a 64-bit
 * sequence (see events.proto, Event.id).
 *
 * Ownership: the caller owns the bus (ev_bus_new/ev_bus_free). Subscribers
 * get a pointer valid during the call only and copy what they keep.
 * Single-threaded: emit, subscribe and unsubscribe on the loop thread.
 */
#ifndef CW_EV_BUS_H
#define CW_EV_BUS_H

#include <stdint.h>

#include "event.h"

#define EV_BUS_MAX_SUBSCRIBERS 16
#define EV_BUS_MAX_DEPTH 4 /* a subscriber may emit (e.g. EVENTS_LOST) this deep */
#define EV_BOOT_ID_LEN 8

struct ev_bus;

typedef void (*ev_subscriber_fn)(void *arg, const struct cw_event *ev);

/* boot_id: EV_BOOT_ID_LEN bytes, or NULL to draw them from getrandom(2).
 * Returns NULL on allocation (or entropy) failure. */
struct ev_bus *ev_bus_new(const uint8_t *boot_id);
void ev_bus_free(struct ev_bus *bus); /* takes NULL */

int ev_subscribe(struct ev_bus *bus, ev_subscriber_fn fn, void *arg)
	__attribute__((warn_unused_result));
void ev_unsubscribe(struct ev_bus *bus, ev_subscriber_fn fn, void *arg);

/* Gives ev an id when it has none (a copy; ev is not changed) and hands it
 * to each subscriber. A NULL bus takes nothing (sources without a bus). */
void ev_emit(struct ev_bus *bus, const struct cw_event *ev);

/* Events emitted so far (the last sequence number given). */
uint64_t ev_bus_emitted(const struct ev_bus *bus);
/* Events dropped because a subscriber emitted deeper than EV_BUS_MAX_DEPTH. */
uint64_t ev_bus_dropped(const struct ev_bus *bus);

#endif
