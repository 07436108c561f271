#pragma once
// A number given as text (an expect line's bound, an option, a field of an exported file).
#include <optional>
#include <string_view>

namespace lockstage::app {

/// The whole of `text` read as a finite double: nothing for an empty text, trailing characters,
/// an infinity, a NaN or a value too large for a double (1e400); one too small (1e-400) reads as
/// the nearest, 0 or a subnormal.
std::optional<double> parse_number(std::string_view text);

}  // namespace lockstage::app
