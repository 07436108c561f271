#include <iostream>

#include "sim/cli/commands.hpp"

int main(int argc, char** argv) {
    return lockstage::cli::run_cli(argc, argv, std::cout, std::cerr);
}
