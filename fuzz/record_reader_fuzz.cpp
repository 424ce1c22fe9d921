// libFuzzer target: the record reader (src/kintone/record_reader.cpp) and the seek-page peek
// on any bytes. The first byte picks the columns and whether $ids are checked against a floor;
// the rest is the page. Every malformed input must end in kintone::Error (kProtocol), never in
// a crash, a sanitizer report or an exception of another type; every cell of an accepted page
// is read in full. See fuzz/README.md.
#include "kintone/error.hpp"
#include "kintone/record_reader.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

using kintone::ColumnRequest;
using Shape = kintone::ColumnRequest::Shape;

namespace {

std::vector<ColumnRequest> Columns(uint8_t choice) {
	switch (choice % 4) {
	case 0:
		return {{"$id"}, {"title"}, {"n"}};
	case 1:
		return {{"$id"}, {"tags", Shape::kStringArray}, {"j", Shape::kJson}, {"u"}};
	case 2: // one field read with several shapes (the slow path)
		return {{"x"}, {"x", Shape::kStringArray}, {"x", Shape::kJson}, {"$id"}};
	default:
		return {{"a"}, {"b", Shape::kStringArray}};
	}
}

size_t Touch(const kintone::RecordReader &reader) {
	size_t sum = 0;
	for (size_t row = 0; row < reader.rows(); ++row) {
		for (size_t column = 0; column < reader.columns().size(); ++column) {
			const kintone::Cell &cell = reader.cell(row, column);
			if (cell.is_null) {
				continue;
			}
			for (char c : cell.text) {
				sum += static_cast<unsigned char>(c);
			}
			for (size_t i = 0; i < cell.element_count; ++i) {
				sum += reader.element(cell.first_element + i).size();
			}
		}
	}
	return sum;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	if (size == 0) {
		return 0;
	}
	uint8_t choice = data[0];
	std::string_view page(reinterpret_cast<const char *>(data + 1), size - 1);
	size_t count = 0;
	long long last_id = 0;
	(void)kintone::PeekSeekPage(page, &count, &last_id);
	// One reader for two parses: buffers are reused across pages.
	kintone::RecordReader reader(Columns(choice));
	for (int round = 0; round < 2; ++round) {
		reader.set_id_floor(choice & 4 ? 0 : -1);
		try {
			reader.Parse(page);
			volatile size_t sink = Touch(reader);
			(void)sink;
			if (reader.rows() > 0) {
				reader.Truncate(reader.rows() / 2);
			}
		} catch (const kintone::Error &e) {
			if (e.kind() != kintone::ErrorKind::kProtocol) {
				abort(); // only protocol errors are expected from a page
			}
		}
	}
	return 0;
}
