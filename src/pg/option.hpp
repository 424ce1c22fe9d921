// Option handling of the glue: catalog object -> option context, DefElem lists -> plain lists.
#pragma once

#include "pg/postgres.hpp"

#include "kintone/option_spec.hpp"

namespace kintone_fdw {

// The context of an option list passed to the validator (catalog relation oid). Throws
// kInvalidOption for catalogs that take no options.
kintone::OptionContext OptionContextForCatalog(Oid catalog);

// Copies a List of DefElem into plain strings (the "read PostgreSQL state" phase).
kintone::OptionList OptionListFromDefElems(List *options);

} // namespace kintone_fdw
