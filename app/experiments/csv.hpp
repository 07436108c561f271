#pragma once
// CSV as the result files write it (RFC 4180): a field is quoted when it holds a comma, a quote
// or a line break; every row has as many fields as its header.
#include <string>
#include <string_view>
#include <vector>

namespace lockstage::app {

std::string csv_field(std::string_view v);
/// The fields, quoted as needed, comma-separated, with a final line break.
std::string csv_line(const std::vector<std::string>& fields);

}  // namespace lockstage::app
