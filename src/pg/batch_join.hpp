// "Kintone Batched Join": a CustomScan join provider (see batch_join.cpp).
#pragma once

#include "pg/postgres.hpp"

namespace kintone_fdw {

// Installs the join-path hook (chaining any previous one) and registers the plan methods.
// Called from _PG_init only.
void RegisterBatchJoin();

} // namespace kintone_fdw
