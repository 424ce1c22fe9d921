// Option validation glue: the rules live in src/kintone/option_spec.cpp.
#include "pg/option.hpp"

#include "kintone/error.hpp"

namespace kintone_fdw {

kintone::OptionContext OptionContextForCatalog(Oid catalog) {
	switch (catalog) {
	case ForeignDataWrapperRelationId:
		return kintone::OptionContext::kWrapper;
	case ForeignServerRelationId:
		return kintone::OptionContext::kServer;
	case UserMappingRelationId:
		return kintone::OptionContext::kUserMapping;
	case ForeignTableRelationId:
		return kintone::OptionContext::kForeignTable;
	case AttributeRelationId:
		return kintone::OptionContext::kColumn;
	default:
		throw kintone::Error(kintone::ErrorKind::kInvalidOption,
		                     "kintone_fdw options are not valid for catalog " + std::to_string(catalog));
	}
}

kintone::OptionList OptionListFromDefElems(List *options) {
	kintone::OptionList out;
	ListCell *cell;
	foreach (cell, options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		// Generic options always carry a String node; strVal cannot ereport, unlike
		// defGetString, so no error can longjmp past the vector being filled.
		out.emplace_back(def->defname, def->arg != nullptr ? strVal(def->arg) : "");
	}
	return out;
}

} // namespace kintone_fdw
