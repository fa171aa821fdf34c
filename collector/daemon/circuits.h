/* circuits.h — publishes the configured circuits, links, peerings and BGP
 * neighbours as info and limit metrics, and keeps them in step with the
 * config across reloads (series of removed circuits disappear). */
#ifndef CW_CIRCUITS_H
#define CW_CIRCUITS_H

#include "module.h"

extern const struct cw_module circuits_module;

#endif
