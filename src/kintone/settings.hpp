// Connection settings from the option lists of a server and a user mapping: URL, guest
// space, transport (TLS, proxy, timeouts, user agent) and credentials, with the precedence
// rules documented in the README ("Connecting and authentication"). Pure C++, unit-tested.
#pragma once

#include "kintone/oauth.hpp"
#include "kintone/option_spec.hpp"
#include "kintone/session.hpp"

#include <string>

namespace kintone {

struct ConnectionSettings {
	SessionConfig config; // credentials.oauth is left empty: the glue attaches the token file
	bool oauth = false;
	OAuthClient oauth_client;
};

// Transport options of the user mapping override the server's. Cross-object rules are
// checked here (the validator sees one object at a time): proxy_user needs a proxy on the
// server or the mapping; ssl_ca_file and ssl_verify 'false' contradict each other after the
// merge. `owner` names the user mapping in errors. Throws kInvalidOptionValue.
ConnectionSettings MakeConnectionSettings(const OptionList &server, const OptionList &user, const std::string &owner);

} // namespace kintone
