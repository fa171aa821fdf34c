/* probes_module.h — the active probes as a daemon module: one probe engine
 * (engine.h) running the probes every configured link declares, and their
 * metrics (circuitwatch_probe_*), published once a second. A reload keeps
 * the targets (and their statistics) whose identity did not change:
 * circuit, link, name, type, target, port, source and interface. */
#ifndef CW_PROBES_MODULE_H
#define CW_PROBES_MODULE_H

#include "module.h"

extern const struct cw_module probes_module;

#endif
