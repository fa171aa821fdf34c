/* ifstats_module.h — the interface counters source: an RTM_GETLINK dump
 * every ifstats.interval on the loop thread, the counters, rates, peaks
 * and link/circuit utilisation of the links' interfaces (and of
 * ifstats.interfaces) published into the metrics registry. */
#ifndef CW_IFSTATS_MODULE_H
#define CW_IFSTATS_MODULE_H

#include "module.h"

#define IFSTATS_DEFAULT_INTERVAL_MS 10000 /* when the config leaves it 0 */

extern const struct cw_module ifstats_module;

#endif
