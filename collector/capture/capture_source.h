/* capture_source.h — the passive capture source: libpcap live on the
 * interfaces of cfg->capture (or once over cfg->capture.file), each packet
 * through the pipeline of source.h into the model, and the capture's own
 * metrics (per-VLAN traffic, packets, drops, decode errors, reassembly). */
#ifndef CW_CAPTURE_SOURCE_MODULE_H
#define CW_CAPTURE_SOURCE_MODULE_H

#include "module.h"

extern const struct cw_module capture_module;

#endif
