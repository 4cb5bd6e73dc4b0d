# Bytes that are not UTF-8 in a query argument or a header the module
# copies are stored as valid UTF-8, U+FFFD where the bytes were, within the
# same byte bounds (PROTOCOL.md "Caller API": "as valid UTF-8 whatever
# bytes the request carried").  The offer the agent receives is decoded
# strictly.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use Encode ();

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
]);
$t->start_router;
$t->default_server;

my $R = "\x{FFFD}";
my $sa = $t->agent_online('alice');

# strict: croaks on anything that is not well-formed UTF-8
sub strict_utf8 {
    my ($bytes) = @_;
    return eval { Encode::decode('UTF-8', $bytes, Encode::FB_CROAK) };
}

# sends the raw request, opens the caller's stream (the caller is present),
# returns the caller object of the offer alice gets, decoded strictly, and
# the call's hash field as stored
sub offered {
    my ($request, $name) = @_;
    my $raw = $t->raw_http($request);
    my ($id, $token);
    if (($raw->{status} // 0) == 303) {
        ($id) = ($raw->{headers}{location} // '') =~ /call=([\w-]+)/;
        ($token) = ($raw->{headers}{location} // '') =~ /token=([\w-]+)/;
    } elsif (($raw->{status} // 0) == 201) {
        ($id, $token) = @{ $raw->{json} }{qw(call token)};
    }
    ok($id, "$name: the call is created") or diag $raw->{raw};
    return {} unless $id;
    my $cs = $t->sse("/call/$id/events?token=$token");
    my $ev = $sa->wait_event('offer', timeout => 10,
        match => sub { $_[0]{json} && $_[0]{json}{call} eq $id });
    ok($ev, "$name: alice is offered the call");
    my $text = $ev && strict_utf8($ev->{data});
    ok(defined $text, "$name: the offer is valid UTF-8") or diag $@;
    my $stored = strict_utf8($t->redis_cmd_ok('HGET', "cc:call:$id",
        'caller') // '');
    ok(defined $stored, "$name: the stored caller is valid UTF-8");
    is($t->http('POST', "/call/$id/hangup?token=$token")->{status}, 200,
        "$name: hung up");
    $sa->wait_event('revoked', timeout => 10,
        match => sub { $_[0]{json} && $_[0]{json}{call} eq $id });
    $cs->close;
    return defined $text ? JSON::PP->new->decode($text)->{caller} : {};
}

# ---- GET /call?queue=&name=&topic= with escaped and raw bytes

my $c = offered("GET /call?queue=sales&name=%FF%C0%AFZo%C3%A9&topic=a%ED%A0"
    . "%80b%F4%90%80%80c%E2%82 HTTP/1.1\r\nHost: x\r\n"
    . "Connection: close\r\n\r\n", 'escaped bytes in the query');
is($c->{name}, "$R$R${R}Zo\x{e9}", 'name: a stray byte and an overlong');
is($c->{topic}, "a$R$R${R}b$R$R$R${R}c$R",
    'topic: a surrogate, past U+10FFFF, a truncated sequence');

$c = offered("GET /call?queue=sales&name=Z\xffo\xc3 HTTP/1.1\r\nHost: x\r\n"
    . "Connection: close\r\n\r\n", 'raw bytes in the query');
is($c->{name}, "Z${R}o$R", 'name from raw bytes');

# ---- the headers the module copies

my $headers = "User-Agent: Moz\xff\xfeilla/5.0 \xe2\x82\xac\r\n"
    . "Accept-Language: fr-CH, de\xf0\x9f\x98;q=0.5\r\n"
    . "Referer: https://shop.example/\xc3(\xed\xbf\xbf\r\n";
for my $case (["GET /call?queue=sales HTTP/1.1\r\n", ''],
    ["POST /call HTTP/1.1\r\nContent-Type: application/json\r\n"
        . "Content-Length: 17\r\n", '{"queue":"sales"}'])
{
    my ($line, $body) = @$case;
    my $what = substr($line, 0, 4) =~ /POST/ ? 'POST /call' : 'GET /call';
    $c = offered("${line}Host: x\r\n$headers" . "Connection: close\r\n\r\n"
        . $body, "$what with bad headers");
    is($c->{user_agent}, "Moz$R${R}illa/5.0 \x{20ac}", "$what: user_agent");
    is($c->{languages}, "fr-CH, de$R;q=0.5", "$what: languages");
    is($c->{language}, 'fr-CH', "$what: language");
    is($c->{referer}, "https://shop.example/$R($R$R$R", "$what: referer");
}

# ---- the byte bounds hold after replacement

$c = offered("GET /call?queue=sales&name=" . ('%FF' x 100) . " HTTP/1.1\r\n"
    . "Host: x\r\nUser-Agent: " . ("\xff" x 400) . "\r\n"
    . "Accept-Language: " . ("\xfe" x 300) . "\r\n"
    . "Connection: close\r\n\r\n", 'long runs of bad bytes');
is($c->{name}, $R x 100, 'name: 100 bad bytes are its 100 characters');
my $ua = Encode::encode('UTF-8', $c->{user_agent} // '');
cmp_ok(length $ua, '<=', 512, 'user_agent: at most 512 bytes after all');
is($c->{user_agent}, $R x 170, '... cut on a character: 170 U+FFFD');
cmp_ok(length Encode::encode('UTF-8', $c->{languages} // ''), '<=', 256,
    'languages: at most 256 bytes');

my $dbsize = $t->stored_keys;
my $raw = $t->raw_http("GET /call?queue=sales&name=" . ('%FF' x 101)
    . " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
is($raw->{status}, 400, 'name of 101 bad bytes: 101 characters, 400');
is($t->stored_keys, $dbsize, '... nothing stored');

$sa->close;
done_testing;
