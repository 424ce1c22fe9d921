// SELECT ... FOR UPDATE / FOR SHARE on a foreign table: refused, since Kintone has no row locks.
#pragma once

#include "pg/postgres.hpp"

namespace kintone_fdw {

extern "C" {
RowMarkType kintoneGetForeignRowMarkType(RangeTblEntry *rte, LockClauseStrength strength);
}

} // namespace kintone_fdw
