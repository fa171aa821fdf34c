/* prometheus.h — the Prometheus exporter module: libmicrohttpd serving
 * /metrics (text 0.0.4 or OpenMetrics 1.0.0 by Accept, gzip by
 * Accept-Encoding), /-/healthy, /-/ready and a landing page at /, with
 * optional TLS and basic auth. It runs in libmicrohttpd's own thread and
 * reads the model only through metrics snapshots. */
#ifndef CW_PROMETHEUS_H
#define CW_PROMETHEUS_H

#include "module.h"

extern const struct cw_module expo_http_module;

#endif
