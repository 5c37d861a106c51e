// SPDX-License-Identifier: GPL-2.0
/* Unit tests: a valid policy that only counts what it is told. */
#include "plugin.h"

GHOST_POLICY_DEFINE(good, PLUGIN_OPS);
