# Cross-site requests (PROTOCOL.md "Agent API"): a page of another site
# cannot act as an agent.  The audit's attack: a form on another origin
# set an agent away, and a text/plain POST ended a call.  Both now fail
# (403 for another Origin, 415 for a body that is not JSON), before the
# body is read, and change nothing in Redis; the agents' own pages and the
# origins listed by callcenter_agent_origins still work.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 2 },
]);
$t->start_router;
$t->default_server(extra => <<'EOF');
location /other/agent/ {
            callcenter_agent $http_x_agent;
            callcenter_agent_origins https://dash.example.com
                                     http://[::1]:8443;
        }
EOF

my $port = $t->port;
my $own = "http://127.0.0.1:$port";

sub agent_status { $t->redis_cmd_ok('HGET', 'cc:agent:alice', 'status') }
sub call_state { $t->redis_cmd_ok('HGET', "cc:call:$_[0]", 'state') }
sub is_error {
    my ($res, $status, $name) = @_;
    is($res->{status}, $status, "$name: $status");
    ok(ref $res->{json} eq 'HASH' && defined $res->{json}{error},
        "$name: JSON error") or diag explain $res->{content};
}
# a POST as a browser would send it: Origin and Content-Type as given
sub post {
    my ($path, %opt) = @_;
    my %h = ('X-Agent' => 'alice', %{ $opt{headers} // {} });
    return $t->http('POST', $path, headers => \%h,
        defined $opt{body} ? (body => $opt{body}) : ());
}

# alice is available and holds a call
my $sa = $t->agent_online('alice');
my $c = $t->create_call(queue => 'sales', name => 'Zoe');
my $cs = $t->sse("/call/$c->{call}/events?token=$c->{token}");
my $ev = $sa->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c->{call}, 'alice is offered the call');
is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
    ->{status}, 200, 'alice accepts');
is(agent_status(), 'available', 'alice is available');
is(call_state($c->{call}), 'assigned', 'the call is assigned');

my $agent_len = $t->redis_cmd_ok('XLEN', 'cc:agent:alice:events');
my $call_len = $t->redis_cmd_ok('XLEN', "cc:call:$c->{call}:events");

# ---- the attack: another site's form sets alice away

is_error(post('/agent/status', headers => {
        Origin => 'https://evil.example',
        'Content-Type' => 'application/x-www-form-urlencoded' },
    body => 'status=away'), 403, 'a form of another origin sets status');

# a text/plain form can carry a body that parses as JSON
my $plain = '{"status":"away","x":"="}';
is_error(post('/agent/status', headers => {
        Origin => 'https://evil.example', 'Content-Type' => 'text/plain' },
    body => $plain), 403, 'a text/plain form of another origin');
is_error(post('/agent/status', headers => {
        Origin => 'https://evil.example',
        'Content-Type' => 'application/json' },
    body => '{"status":"away"}'), 403, 'JSON from another origin');
is_error(post('/agent/status', headers => { Origin => 'null',
        'Content-Type' => 'application/json' },
    body => '{"status":"away"}'), 403, 'Origin: null (sandbox, file:)');

# ... and ends the call with an id read elsewhere
for my $action (qw(end reject transfer messages)) {
    is_error(post("/agent/calls/$c->{call}/$action", headers => {
            Origin => 'https://evil.example',
            'Content-Type' => 'text/plain' },
        body => '{"queue":"sales","type":"chat","text":"x"}'), 403,
        "text/plain $action from another origin");
}
is_error(post("/agent/calls/$c->{call}/end",
        headers => { Origin => 'https://evil.example' }), 403,
    'a bodiless end from another origin');

# the same origin, but not JSON: 415
is_error(post('/agent/status', headers => { Origin => $own,
        'Content-Type' => 'text/plain' }, body => $plain), 415,
    'text/plain from the own origin');
is_error(post("/agent/calls/$c->{call}/end", headers => {
        'Content-Type' => 'text/plain' }, body => '{}'), 415,
    'text/plain end without Origin');
is_error(post('/agent/status', headers => {
        'Content-Type' => 'application/x-www-form-urlencoded' },
    body => 'status=away'), 415, 'a form body without Origin');
is_error(post('/agent/status', body => '{"status":"away"}'), 415,
    'a body without Content-Type');
is_error(post('/agent/status', headers => {
        'Content-Type' => 'application/jsonp' },
    body => '{"status":"away"}'), 415, 'application/jsonp is not JSON');

# checked before the body is read: no 413 for a huge one, no 100 Continue
{
    my $raw = $t->raw_http("POST /agent/status HTTP/1.1\r\n"
        . "Host: 127.0.0.1:$port\r\nX-Agent: alice\r\n"
        . "Origin: https://evil.example\r\nContent-Type: text/plain\r\n"
        . "Content-Length: 100000000\r\nExpect: 100-continue\r\n"
        . "Connection: close\r\n\r\n", timeout => 5);
    is($raw->{status}, 403, 'a 100 MB body of another origin: 403 at once');
    unlike($raw->{raw}, qr/100 Continue/, '... without asking for the body');
}

is(agent_status(), 'available', 'after all that alice is still available');
is(call_state($c->{call}), 'assigned', 'the call is still assigned');
is($t->redis_cmd_ok('XLEN', 'cc:agent:alice:events'), $agent_len,
    'nothing written to her stream');
is($t->redis_cmd_ok('XLEN', "cc:call:$c->{call}:events"), $call_len,
    'nothing written to the call');

# ---- what must keep working

my $res = post('/agent/status', headers => { Origin => $own,
        'Content-Type' => 'application/json; charset=utf-8' },
    body => '{"status":"away"}');
is($res->{status}, 200, 'same-origin JSON (with charset) sets away');
is(agent_status(), 'away', '... and alice is away');
$res = post('/agent/status', headers => { Origin => "http://127.0.0.1:$port",
        'Content-Type' => 'APPLICATION/JSON' },
    body => '{"status":"available"}');
is($res->{status}, 200, 'same origin, media type in capitals');
is(agent_status(), 'available', '... and alice is available again');
is(post('/agent/status', headers => { Origin => 'HTTP://127.0.0.1:' . $port,
        'Content-Type' => 'application/json' },
    body => '{"status":"available"}')->{status}, 200,
    'an origin compares without case');
is_error(post('/agent/status', headers => {
        Origin => "http://127.0.0.1:" . ($port + 1),
        'Content-Type' => 'application/json' },
    body => '{"status":"available"}'), 403, 'another port is another origin');
is_error(post('/agent/status', headers => {
        Origin => "https://127.0.0.1:$port",
        'Content-Type' => 'application/json' },
    body => '{"status":"available"}'), 403,
    'another scheme is another origin');

# the Host the request names is its origin, the default port left out
{
    my $raw = $t->raw_http("POST /agent/status HTTP/1.1\r\n"
        . "Host: Agents.Example.com\r\nX-Agent: alice\r\n"
        . "Origin: http://agents.example.com:80\r\n"
        . "Content-Type: application/json\r\nContent-Length: 22\r\n"
        . "Connection: close\r\n\r\n" . '{"status":"available"}');
    is($raw->{status}, 200, 'Origin http://host:80 for Host: host');
}

# bodiless POSTs from a non-browser client: no Origin, no Content-Type
is(post('/agent/calls/nosuch/accept')->{status}, 404,
    'a bodiless POST without Origin reaches the function library');

# callcenter_agent_origins lists more
for my $o ('https://dash.example.com', 'https://DASH.example.com:443',
    'http://[::1]:8443')
{
    is(post('/other/agent/status', headers => { Origin => $o,
            'Content-Type' => 'application/json' },
        body => '{"status":"available"}')->{status}, 200,
        "listed origin $o");
}
is_error(post('/other/agent/status', headers => {
        Origin => 'http://dash.example.com',
        'Content-Type' => 'application/json' },
    body => '{"status":"available"}'), 403, 'the listed host over http');
is_error(post('/agent/status', headers => {
        Origin => 'https://dash.example.com',
        'Content-Type' => 'application/json' },
    body => '{"status":"available"}'), 403,
    'listed for another location only');
is(post('/other/agent/status', headers => { Origin => $own,
        'Content-Type' => 'application/json' },
    body => '{"status":"available"}')->{status}, 200,
    'the own origin still works where others are listed');

is(post("/agent/calls/$c->{call}/end", headers => { Origin => $own })
    ->{status}, 200, 'the agent page ends the call');
is(call_state($c->{call}), 'ended', 'the call ended');

# ---- the directive's own checks

for my $bad ('null', 'https://dash.example.com/', 'dash.example.com',
    'ftp://x.example', 'https://x.example/path')
{
    my $r = $t->nginx_t("location /a/ { callcenter_agent \$remote_user;"
        . " callcenter_agent_origins $bad; }");
    ok(!$r->{ok}, "callcenter_agent_origins $bad refused")
        or diag $r->{output};
    like($r->{output}, qr/invalid origin/, "... saying why");
}

$_->close for $sa, $cs;
done_testing;
