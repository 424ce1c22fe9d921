// Shared by the option unit tests: the error ValidateOptions raises for a set of options.
#pragma once

#include "kintone/error.hpp"
#include "kintone/option_spec.hpp"

#include <gtest/gtest.h>

namespace kintone_test {

// The error that validating options in context raises; a test failure when none is raised.
inline kintone::Error Invalid(kintone::OptionContext context, const kintone::OptionList &options) {
	try {
		kintone::ValidateOptions(context, options);
	} catch (const kintone::Error &e) {
		return e;
	}
	ADD_FAILURE() << "expected an error";
	return kintone::Error(kintone::ErrorKind::kInternal, "none");
}

} // namespace kintone_test
