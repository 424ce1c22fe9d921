// See http_group.hpp.
#include "kintone/http_group.hpp"

#include "kintone/error.hpp"
#include "kintone/http_internal.hpp"

#include <algorithm>

namespace kintone {

namespace {

// The process-wide count of transfers in flight and the groups alive (a backend is one
// thread: no locking).
int g_in_flight = 0;
std::vector<HttpGroup *> &Groups() {
	static std::vector<HttpGroup *> groups;
	return groups;
}

} // namespace

struct HttpGroup::Slot {
	CURL *easy = nullptr;
	struct curl_slist *headers = nullptr;
	HttpRequest request;
	HttpResponse response;
	detail::Transfer transfer;
	char error_buffer[CURL_ERROR_SIZE] = {0};
	bool used = false;     // a transfer was started and not yet taken or cancelled
	bool attached = false; // the easy handle is in the multi handle
	bool done = false;
	CURLcode result = CURLE_OK;
};

struct HttpGroup::Impl {
	CURLM *multi = nullptr;
	detail::MultiWaitFd wait; // created on first WaitFd
};

HttpGroup::HttpGroup(HttpOptions options, int capacity) : impl_(new Impl), options_(std::move(options)) {
	detail::EnsureCurl();
	impl_->multi = curl_multi_init();
	if (impl_->multi == nullptr) {
		throw Error(ErrorKind::kOutOfMemory, "could not create a libcurl handle");
	}
	capacity = std::max(1, capacity);
	// One connection per transfer; connections are kept for the next request of the slot.
	curl_multi_setopt(impl_->multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(capacity));
	for (int i = 0; i < capacity; ++i) {
		auto slot = std::make_unique<Slot>();
		slot->easy = curl_easy_init();
		if (slot->easy == nullptr) {
			throw Error(ErrorKind::kOutOfMemory, "could not create a libcurl handle");
		}
		slots_.push_back(std::move(slot));
	}
	Groups().push_back(this);
}

HttpGroup::~HttpGroup() {
	CancelAll();
	auto &groups = Groups();
	groups.erase(std::remove(groups.begin(), groups.end(), this), groups.end());
	for (auto &slot : slots_) {
		if (slot->easy != nullptr) {
			curl_easy_cleanup(slot->easy);
		}
	}
	if (impl_->multi != nullptr) {
		curl_multi_cleanup(impl_->multi);
	}
}

int HttpGroup::FreeSlot() const {
	for (size_t i = 0; i < slots_.size(); ++i) {
		if (!slots_[i]->used) {
			return static_cast<int>(i);
		}
	}
	return -1;
}

int HttpGroup::Start(const HttpRequest &request, std::string *buffer) {
	int index = FreeSlot();
	if (index < 0) {
		throw Error(ErrorKind::kInternal, "kintone_fdw started more requests than its group holds");
	}
	Slot &slot = *slots_[static_cast<size_t>(index)];
	slot.request = request;
	if (buffer != nullptr) {
		slot.response.body.swap(*buffer); // SetUpTransfer clears it
	}
	slot.headers =
	    detail::SetUpTransfer(slot.easy, slot.request, options_, &slot.transfer, &slot.response, slot.error_buffer);
	if (curl_multi_add_handle(impl_->multi, slot.easy) != CURLM_OK) {
		curl_easy_setopt(slot.easy, CURLOPT_HTTPHEADER, nullptr);
		curl_slist_free_all(slot.headers);
		slot.headers = nullptr;
		throw Error(ErrorKind::kInternal, "could not start an HTTP transfer");
	}
	slot.used = true;
	slot.attached = true;
	slot.done = false;
	slot.result = CURLE_OK;
	++in_flight_;
	++g_in_flight;
	++requests_;
	max_in_flight_ = std::max(max_in_flight_, in_flight_);
	return index;
}

void HttpGroup::Drive() noexcept {
	if (in_flight_ == 0) {
		return;
	}
	int running = 0;
	CURLMcode code = curl_multi_perform(impl_->multi, &running);
	int queued = 0;
	CURLMsg *msg;
	while ((msg = curl_multi_info_read(impl_->multi, &queued)) != nullptr) {
		if (msg->msg != CURLMSG_DONE) {
			continue;
		}
		for (auto &slot : slots_) {
			if (slot->attached && !slot->done && slot->easy == msg->easy_handle) {
				slot->done = true;
				slot->result = msg->data.result;
				--in_flight_;
				--g_in_flight;
			}
		}
	}
	if (code != CURLM_OK) {
		// The multi handle is broken: every transfer still running fails.
		for (auto &slot : slots_) {
			if (slot->attached && !slot->done) {
				slot->done = true;
				slot->result = CURLE_FAILED_INIT;
				--in_flight_;
				--g_in_flight;
			}
		}
	}
}

bool HttpGroup::Done(int slot) const {
	const Slot &s = *slots_[static_cast<size_t>(slot)];
	return s.used && s.done;
}

int HttpGroup::sends(int slot) const {
	return slots_[static_cast<size_t>(slot)]->transfer.sends;
}

void HttpGroup::Release(Slot &slot) noexcept {
	if (slot.attached) {
		curl_multi_remove_handle(impl_->multi, slot.easy); // mid-transfer: closes that connection
		curl_easy_setopt(slot.easy, CURLOPT_HTTPHEADER, nullptr);
		slot.attached = false;
		if (!slot.done) {
			--in_flight_;
			--g_in_flight;
		}
	}
	curl_slist_free_all(slot.headers);
	slot.headers = nullptr;
	slot.used = false;
	slot.done = false;
}

HttpResponse &HttpGroup::Take(int index) {
	Slot &slot = *slots_[static_cast<size_t>(index)];
	if (!slot.used || !slot.done) {
		throw Error(ErrorKind::kInternal, "kintone_fdw took an answer that has not arrived");
	}
	CURLcode code = slot.result;
	Release(slot);
	detail::CompleteTransfer(slot.easy, code, slot.transfer, slot.request, options_, slot.error_buffer, &slot.response);
	return slot.response;
}

void HttpGroup::Cancel(int index) noexcept {
	Release(*slots_[static_cast<size_t>(index)]);
}

void HttpGroup::CancelAll() noexcept {
	for (auto &slot : slots_) {
		Release(*slot);
	}
}

void HttpGroup::Wait(long ms) noexcept {
	if (in_flight_ == 0) {
		return;
	}
	curl_multi_poll(impl_->multi, nullptr, 0, static_cast<int>(ms), nullptr);
}

int HttpGroup::WaitFd() noexcept {
	return impl_->wait.Fd(impl_->multi, in_flight_ > 0, HttpClient::kWaitTickMs);
}

void HttpGroup::ArmWaitFd() noexcept {
	impl_->wait.Arm(impl_->multi, in_flight_ > 0, HttpClient::kWaitTickMs);
}

int HttpGroup::InFlightInProcess() {
	return g_in_flight;
}

void HttpGroup::DriveAll() noexcept {
	for (HttpGroup *group : Groups()) {
		group->Drive();
	}
}

} // namespace kintone
