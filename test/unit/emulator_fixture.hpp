// Starts the bundled Kintone emulator for client tests that need real HTTP over loopback,
// and stops it by PID. The emulator prints its base URL as its first stdout line.
//
// The test binary runs as one process (CMakeLists.txt), and SharedEmulator keeps one emulator
// per seed for the whole binary: suites start from a clean state through ResetEmulator (the
// seed, no fault rules, zeroed counters) instead of a fresh emulator per test.
#pragma once

#include "kintone/http_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace kintone_test {

class Emulator {
public:
	explicit Emulator(const std::string &seed = KINTONE_SOURCE_DIR "/test/emulator/sample-data.json") {
		int fds[2];
		if (pipe(fds) != 0) {
			return;
		}
		pid_ = fork();
		if (pid_ == 0) {
			// Dies with the test binary, even when a test crashes it.
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			dup2(fds[1], STDOUT_FILENO);
			close(fds[0]);
			close(fds[1]);
			const char *script = KINTONE_SOURCE_DIR "/test/emulator/kintone-emulator";
			execlp("python3", "python3", script, "--port", "0", "--data", seed.c_str(), static_cast<char *>(nullptr));
			_exit(127);
		}
		close(fds[1]);
		FILE *out = fdopen(fds[0], "r");
		char line[256] = {0};
		if (out != nullptr && fgets(line, sizeof(line), out) != nullptr) {
			url_ = line;
			while (!url_.empty() && (url_.back() == '\n' || url_.back() == '\r')) {
				url_.pop_back();
			}
		}
		stdout_ = out;
	}
	~Emulator() {
		if (pid_ > 0) {
			// SIGTERM, then SIGKILL if it is still busy (e.g. inside an injected delay) after 3 s.
			kill(pid_, SIGTERM);
			for (int i = 0; i < 60 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
				usleep(50 * 1000);
			}
			if (waitpid(pid_, nullptr, WNOHANG) == 0) {
				kill(pid_, SIGKILL);
				waitpid(pid_, nullptr, 0);
			}
		}
		if (stdout_ != nullptr) {
			fclose(stdout_);
		}
	}
	Emulator(const Emulator &) = delete;
	Emulator &operator=(const Emulator &) = delete;

	const std::string &url() const { return url_; }

private:
	pid_t pid_ = -1;
	FILE *stdout_ = nullptr;
	std::string url_;
};

// The emulator of a seed, started on first use and shared by every test of the binary; stopped
// when the binary exits. key names the seed; write_seed (called once, on first use) writes it
// and returns its path, which is removed once the emulator has read it. Without write_seed the
// key is the seed's path.
inline Emulator &SharedEmulator(const std::string &key = KINTONE_SOURCE_DIR "/test/emulator/sample-data.json",
                                const std::function<std::string()> &write_seed = nullptr) {
	static std::map<std::string, std::unique_ptr<Emulator>> emulators;
	std::unique_ptr<Emulator> &emulator = emulators[key];
	if (!emulator) {
		if (write_seed) {
			std::string path = write_seed();
			emulator = std::make_unique<Emulator>(path);
			std::remove(path.c_str());
		} else {
			emulator = std::make_unique<Emulator>(key);
		}
	}
	return *emulator;
}

// A call of the emulator's control API (/_emulator/...); expects 200 and returns the JSON body.
inline nlohmann::json Control(const Emulator &emulator, const std::string &method, const std::string &path,
                              const std::string &body) {
	kintone::HttpClient client;
	auto &response = client.Perform({method, emulator.url() + path, {{"Content-Type", "application/json"}}, body});
	EXPECT_EQ(response.status, 200) << path << ": " << response.body;
	return nlohmann::json::parse(response.body, nullptr, false);
}

// Back to the seed state, no fault rules, zeroed statistics: what every test starts from.
inline void ResetEmulator(const Emulator &emulator) {
	ASSERT_FALSE(emulator.url().empty()) << "the emulator did not start";
	Control(emulator, "POST", "/_emulator/reset", "{}");
	Control(emulator, "DELETE", "/_emulator/faults", "");
	Control(emulator, "POST", "/_emulator/stats/reset", "{}");
}

} // namespace kintone_test
