#include <iostream>

#include "app/cli/commands.hpp"

int main(int argc, char** argv) {
    return lockstage::app::run_cli(argc, argv, std::cout, std::cerr);
}
