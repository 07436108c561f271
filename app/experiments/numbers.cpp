#include "app/experiments/numbers.hpp"

#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <string>

namespace lockstage::app {

std::optional<double> parse_number(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    const std::string t(text);  // strtod needs the terminating NUL
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    const bool underflow = errno == ERANGE && std::fabs(v) <= DBL_MIN;
    if ((errno != 0 && !underflow) || end != t.c_str() + t.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

}  // namespace lockstage::app
