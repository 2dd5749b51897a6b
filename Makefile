# Thin wrapper over CMake; see README.md.
BUILD_RELEASE ?= build/release
BUILD_TEST    ?= build/test
JOBS          ?= $(shell nproc)

.PHONY: run build test fuzz bench clean

build:
	@scripts/deps.sh build
	cmake -S . -B $(BUILD_RELEASE) -DCMAKE_BUILD_TYPE=Release -DRILL_TESTS=OFF
	cmake --build $(BUILD_RELEASE) -j $(JOBS)

run: build
	$(BUILD_RELEASE)/broker/rill-server

test:
	@scripts/deps.sh test
	cmake -S . -B $(BUILD_TEST) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DRILL_SANITIZER=address,undefined -DRILL_TESTS=ON -DRILL_FUZZ=ON
	cmake --build $(BUILD_TEST) -j $(JOBS)
	cd $(BUILD_TEST) && ctest --output-on-failure -j $(JOBS)

bench: build
	bench/run.sh

clean:
	rm -rf build
