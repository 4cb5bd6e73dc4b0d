# Hostile input: random and malformed requests never crash a worker, never
# leave anything half-written, and always get a JSON error with a status of
# the contract.  Bounded and seeded: the same requests on every run.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
]);
$t->default_server(workers => 2);
my $J = CCTest->json;

my $c = $t->create_call(queue => 'sales');
my %workers = map { $_ => 1 } $t->_live_workers;
my $created = 1;

srand 20261126;
sub junk {
    my ($n) = @_;
    return join '', map { chr int rand 256 } 1 .. $n;
}
my @json_like = ('{', '[]', '"x"', '{"queue":', '{"queue":"UPPER"}',
    '{"queue":"' . ('q' x 33) . '"}', '{"skills":"fr"}', '{"skills":[1]}',
    '{"info":{"a":{"b":1}}}', '{"name":' . ('[' x 2000) . '}',
    '{"type":"chat"}', '{"type":"chat","text":""}', '{"type":"page",'
    . '"url":"javascript:alert(1)"}', '{"type":"nope"}',
    '{"type":"signal","sdp":"a","candidate":"b"}', "{\"name\":\"\x00\"}",
    '{"name":"\ud800"}', '{"a":1}{"b":2}', "\xef\xbb\xbf{}");

my %ok_status = map { $_ => 1 } (400, 401, 403, 404, 405, 409, 413);
my ($n, $bad) = (0, 0);
my @paths = ('/call', "/call/$c->{call}/messages?token=$c->{token}",
    "/call/$c->{call}/messages?token=" . ('t' x 200),
    "/call/$c->{call}/hangup?token=wrong", '/call/a.b/events?token=x',
    '/call/%41%42/events', '/call/' . ('a' x 70) . '/events?token=x',
    "/call/$c->{call}/events?token=$c->{token}&last_event_id=1-x",
    '/agent/calls/nosuch/accept', '/agent/calls//messages',
    '/agent/status', '/agent/calls/' . ('%ff' x 10) . '/transfer');

for my $i (1 .. 300) {
    my $path = $paths[rand @paths];
    my $body = $i % 3 ? $json_like[rand @json_like] : junk(1 + int rand 300);
    my $method = (qw(POST POST POST GET PUT DELETE))[rand 6];
    my $r = $t->http($method, $path, body => $body,
        headers => { 'X-Agent' => $i % 5 ? 'alice' : 'bad agent!' });
    $n++;
    $created++ if $r->{status} == 201 || $r->{status} == 303;
    # a valid request can come out of the mix
    next if $r->{status} =~ /^(200|201|202|303)$/;
    my $json_error = ($r->{headers}{'content-type'} // '') =~ m{json}
        && ref $r->{json} eq 'HASH' && defined $r->{json}{error};
    unless ($ok_status{ $r->{status} } && $json_error) {
        $bad++;
        diag("$method $path: $r->{status} $r->{content}") if $bad < 5;
    }
}
is($bad, 0, "$n hostile requests: each a JSON error of the contract");

# raw protocol abuse straight on the socket
for my $raw ("POST /call HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
    "POST /call HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        . "ffffffff\r\n" . junk(100),
    "GET /call/" . ('x' x 9000) . " HTTP/1.1\r\nHost: x\r\n\r\n",
    "POST /call HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n")
{
    $t->raw_http($raw, timeout => 2);
}
pass('raw abuse sent');

my %now = map { $_ => 1 } $t->_live_workers;
is_deeply(\%now, \%workers, 'no worker crashed or was replaced');
my @calls = grep { /^cc:call:[^:]+$/ } $t->redis_keys('cc:call:*');
is(scalar @calls, $created, 'a call for each 201, none for the errors');
my @whole = grep {
    my $h = $t->redis_hash($_);
    !grep { !defined $h->{$_} } qw(id token queue state created caller skills)
} @calls;
is(scalar @whole, scalar @calls, 'every call written whole');
is($t->http('POST', '/call', body => '{"queue":"sales"}')->{status}, 201,
    'still serving');

done_testing;
