# The caller API (PROTOCOL.md "Caller API", "Errors"), without a router.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
# the queues these calls name must be known (an agent serves them)
$t->load_agents([{ id => 'alice', queues => ['default', 'sales', 'q' x 32] }]);
$t->default_server;
my $J = CCTest->json;

sub dbsize { $t->stored_keys }
sub is_json_error {
    my ($res, $status, $name) = @_;
    my $ok = is($res->{status}, $status, "$name: $status");
    like($res->{headers}{'content-type'} // '', qr{^application/json},
        "$name: JSON content type");
    ok(ref $res->{json} eq 'HASH' && defined $res->{json}{error}
        && !ref $res->{json}{error} && length $res->{json}{error},
        "$name: {\"error\": ...}") or diag explain $res->{content};
    return $ok;
}

# ---- POST /call

my $res = $t->http('POST', '/call');
is($res->{status}, 201, 'POST /call without body: 201');
like($res->{headers}{'content-type'} // '', qr{^application/json},
    '201 is JSON');
my $c = $res->{json} // {};
like($c->{call} // '', qr/^[A-Za-z0-9_-]{1,64}$/, 'call id is [A-Za-z0-9_-]');
ok(defined $c->{token} && $c->{token} =~ /^[A-Za-z0-9_-]+$/
    && length($c->{token}) >= 22, 'token: at least 128 bits of text');
is($c->{status}, 'queued', 'status queued');
is($c->{queue}, 'default', 'queue defaults to "default"');
like($c->{events} // '', qr{/call/\Q$c->{call}\E/events}, 'events URL');

$res = $t->http('POST', '/call', body => '{}',
    headers => { 'Content-Type' => 'application/json' });
is($res->{status}, 201, 'POST /call {}: 201');
isnt($res->{json}{call}, $c->{call}, 'a new call id each time');
isnt($res->{json}{token}, $c->{token}, 'a new token each time');

my $full = $t->create_call(queue => 'sales', name => 'Zoe', topic => 'order',
    page => 'https://shop.example/cart', skills => ['fr', 'billing'],
    info => { screen => '1920x1080', tz => 'Europe/Paris' });
is($full->{queue}, 'sales', 'queue from the body');
is($full->{status}, 'queued', 'full body: queued');

# the token in Redis is not the plain token (a secret at rest)
my $dump = join ' ', map { ref $_ ? '' : $_ }
    @{ $t->redis_cmd_ok('HGETALL', "cc:call:$full->{call}") };
unlike($dump, qr/\Q$full->{token}\E/, 'plain token not stored in Redis');

# ---- GET /call?queue=Q: a plain link

$res = $t->http('GET', '/call?queue=sales');
is($res->{status}, 303, 'GET /call?queue=sales: 303');
my $loc = $res->{headers}{location} // '';
# id and token in the fragment only, exactly: never in a path or query
my ($page, $lid, $ltok, $lq) = $loc =~ m{^([^\#?]*)\#call=([A-Za-z0-9_-]+)
    &token=([A-Za-z0-9_-]+)&queue=([a-z0-9_-]+)\z}x;
ok($lid && $ltok, 'Location: #call=ID&token=T&queue=Q, the fragment only')
    or diag $loc;
like($page // '', qr{/callcenter/call\.html\z}, 'Location is the caller page');
is($lq, 'sales', 'the fragment names the queue of the link');
if ($lid && $ltok) {
    my $s = eval { $t->sse("/call/$lid/events?token=$ltok") };
    ok($s, 'the call from the link is real: its stream opens') or diag $@;
    my $ev = $s && $s->next_event(timeout => 5);
    is($ev && $ev->{event}, 'queued', '... and it is queued');
    is($ev && $ev->{json}{queue}, 'sales', '... in the queue of the link');
    $s->close if $s;
}

# no queue: the default one, as POST /call above
$res = $t->http('GET', '/call');
is($res->{status}, 303, 'GET /call without queue: 303');
like($res->{headers}{location} // '',
    qr{^[^\#?]*/callcenter/call\.html\#call=[A-Za-z0-9_-]+&token=[A-Za-z0-9_-]+
        &queue=default\z}x, '... to the caller page, the default queue');

# ---- bad POST /call bodies: 400, nothing stored

my @bad = (
    ['{', 'malformed JSON'],
    ['{"queue": "sales"', 'truncated JSON'],
    ['[1, 2]', 'an array, not an object'],
    ['"sales"', 'a string, not an object'],
    ['{"queue": "Sales"}', 'queue with upper case'],
    ['{"queue": "sa les"}', 'queue with a space'],
    ['{"queue": ""}', 'empty queue'],
    ['{"queue": "' . ('q' x 33) . '"}', 'queue of 33 characters'],
    ['{"queue": 5}', 'queue not a string'],
    ['{"queue": "../x"}', 'queue with dots and slash'],
    ['{"skills": "fr"}', 'skills not an array'],
    ['{"skills": [1]}', 'skills not strings'],
    ['{"info": "x"}', 'info not an object'],
    ['{"name": ["a"]}', 'name not a string'],
    ["{\"name\": \"\xff\xfe\"}", 'invalid UTF-8'],
);
for my $case (@bad) {
    my ($body, $name) = @$case;
    my $before = dbsize();
    my $r = $t->http('POST', '/call', body => $body,
        headers => { 'Content-Type' => 'application/json' });
    is_json_error($r, 400, "POST /call $name");
    is(dbsize(), $before, "POST /call $name: nothing stored");
}

# a valid queue name at the limit
$res = $t->http('POST', '/call', body => '{"queue": "' . ('q' x 32) . '"}');
is($res->{status}, 201, 'queue of 32 characters: 201');

# ---- oversized bodies: the module's JSON 413, nothing stored

{
    my $before = dbsize();
    my $big = $J->encode({ name => 'x' x (17 * 1024) });
    my $r = $t->http('POST', '/call', body => $big);
    is_json_error($r, 413, 'POST /call 17 KiB body');
    is(dbsize(), $before, '17 KiB: nothing stored');

    my $huge = '{"name": "' . ('x' x (2 * 1024 * 1024)) . '"}';
    my $raw = $t->raw_http("POST /call HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: application/json\r\nConnection: close\r\n"
        . "Content-Length: " . length($huge) . "\r\n\r\n" . $huge);
    is_json_error({ status => $raw->{status}, json => $raw->{json},
            content => $raw->{body}, headers => $raw->{headers} },
        413, 'POST /call 2 MB body with Content-Length');

    my $chunked = '';
    for (1 .. 32) {
        my $piece = ($_ == 1 ? '{"name": "' : '') . ('y' x 65536);
        $chunked .= sprintf("%x\r\n%s\r\n", length $piece, $piece);
    }
    $chunked .= "2\r\n\"}\r\n0\r\n\r\n";
    $raw = $t->raw_http("POST /call HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: application/json\r\nConnection: close\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n" . $chunked);
    is_json_error({ status => $raw->{status}, json => $raw->{json},
            content => $raw->{body}, headers => $raw->{headers} },
        413, 'POST /call 2 MB chunked body');
    is(dbsize(), $before, '2 MB bodies: nothing stored');
}

# nginx is still serving after all that
is($t->http('POST', '/call')->{status}, 201, 'still serving');

# ---- tokens: 403 for missing, wrong, unknown call alike

my $id = $full->{call};
my $tok = $full->{token};
my $wrong = $tok;
$wrong =~ s/^(.)/$1 eq 'A' ? 'B' : 'A'/e;
my %body403;
for my $case (
    ['GET', "/call/$id/events", 'events without token'],
    ['GET', "/call/$id/events?token=$wrong", 'events with wrong token'],
    ['GET', "/call/$id/events?token=", 'events with empty token'],
    ['GET', "/call/nosuchcall/events?token=$tok", 'events of unknown call'],
    ['POST', "/call/$id/messages", 'message without token'],
    ['POST', "/call/$id/messages?token=$wrong", 'message with wrong token'],
    ['POST', "/call/nosuchcall/messages?token=$tok", 'message unknown call'],
    ['POST', "/call/$id/hangup", 'hangup without token'],
    ['POST', "/call/$id/hangup?token=$wrong", 'hangup with wrong token'],
    ['POST', "/call/nosuchcall/hangup?token=$tok", 'hangup unknown call'],
)
{
    my ($m, $path, $name) = @$case;
    my $r = $t->http($m, $path,
        $m eq 'POST' ? (body => '{"type":"chat","text":"hi"}') : ());
    is_json_error($r, 403, $name);
    my $kind = $path =~ m{/(events|messages|hangup)} ? $1 : '';
    push @{ $body403{$kind} }, $r->{content} // '';
}
for my $kind (sort keys %body403) {
    my %seen = map { $_ => 1 } @{ $body403{$kind} };
    is(scalar keys %seen, 1,
        "403 on $kind tells nothing about whether the call exists");
}
is_json_error($t->http('GET', "/call/$id/events",
    headers => { 'X-Call-Token' => $wrong }), 403,
    'X-Call-Token wrong');

# the token as X-Call-Token header
{
    my $s = eval { $t->sse("/call/$id/events",
        headers => { 'X-Call-Token' => $tok }) };
    ok($s, 'X-Call-Token header opens the stream') or diag $@;
    $s->close if $s;
}

# ---- caller messages

my $q = "?token=$tok";
$res = $t->http('POST', "/call/$id/messages$q",
    body => '{"type":"chat","text":"hello"}');
is($res->{status}, 202, 'chat message: 202');
ok(defined $res->{json}{id} && !ref $res->{json}{id}, '202 {"id": ...}');
my $mid1 = $res->{json}{id};
$res = $t->http('POST', "/call/$id/messages",
    headers => { 'X-Call-Token' => $tok },
    body => '{"type":"chat","text":"again"}');
is($res->{status}, 202, 'chat with X-Call-Token: 202');
isnt($res->{json}{id}, $mid1, 'each kept message its own event id');
# typing is live only: its id is the stream's last, no new one
$res = $t->http('POST', "/call/$id/messages$q", body => '{"type":"typing"}');
is($res->{status}, 202, 'typing: 202');
like($res->{json}{id} // '', qr/^\d+-\d+$/, 'typing: 202 {"id": ...}');

for my $case (
    ['{"type":"dance"}', 400, 'unknown message type'],
    ['{"text":"no type"}', 400, 'message without type'],
    ['{"type":"chat","text":', 400, 'malformed message'],
    ['"chat"', 400, 'message not an object'],
    ['{"type":"chat","text":5}', 400, 'chat text not a string'],
    ['{"type":"chat","text":"' . ('z' x (17 * 1024)) . '"}', 413,
        'message over 16 KiB'],
)
{
    my ($body, $status, $name) = @$case;
    my $before = dbsize();
    my $len = $t->redis_cmd_ok('XLEN', "cc:call:$id:events");
    is_json_error($t->http('POST', "/call/$id/messages$q", body => $body),
        $status, $name);
    is(dbsize(), $before, "$name: no key written");
    is($t->redis_cmd_ok('XLEN', "cc:call:$id:events"), $len,
        "$name: no event stored");
}

# ---- methods and paths

for my $case (
    ['PUT', '/call', 405], ['DELETE', '/call', 405], ['PATCH', '/call', 405],
    ['POST', "/call/$id/events$q", 405],
    ['GET', "/call/$id/messages$q", 405],
    ['GET', "/call/$id/hangup$q", 405],
    ['DELETE', "/call/$id/hangup$q", 405],
    ['GET', "/call/$id/nonsense$q", 404],
    ['POST', "/call/$id/nonsense$q", 404],
    ['GET', "/call/$id/events/more$q", 404],
    ['GET', "/call/$id$q", 404],
    ['GET', '/callx', 404],
    ['POST', '/call/', 404],
)
{
    my ($m, $path, $status) = @$case;
    my $r = $t->http($m, $path, $m ne 'GET' ? (body => '{}') : ());
    (my $shown = $path) =~ s/token=[^&]+/token=T/;
    is_json_error($r, $status, "$m $shown");
    like($r->{headers}{allow} // '', qr/^[A-Z]+(, [A-Z]+)*$/,
        "$m $shown: Allow lists the methods") if $status == 405;
}

# ---- the event stream's headers: no buffering on the way, no caching
{
    my $s = $t->sse("/call/$id/events$q");
    my $h = $s->headers;
    like($h->{'content-type'}, qr{^text/event-stream}, 'text/event-stream');
    is($h->{'x-accel-buffering'}, 'no', 'X-Accel-Buffering: no');
    like($h->{'cache-control'} // '', qr/no-cache/, 'Cache-Control: no-cache');
    $s->close;
}

# ---- hangup

my $h = $t->create_call(queue => 'sales');
my $hq = "?token=$h->{token}";
$res = $t->http('POST', "/call/$h->{call}/hangup$hq");
is($res->{status}, 200, 'hangup: 200');
is($res->{json}{reason}, 'abandoned', 'no agent had it: abandoned');
$res = $t->http('POST', "/call/$h->{call}/hangup$hq");
is($res->{status}, 200, 'hangup again: 200');
is($res->{json}{reason}, 'abandoned', '... with the same reason');
is_json_error($t->http('POST', "/call/$h->{call}/messages$hq",
    body => '{"type":"chat","text":"late"}'), 409,
    'message after the end');
{
    my $s = $t->sse("/call/$h->{call}/events$hq");
    my @evs = $s->events_until(sub { $_[0]{event} eq 'ended' });
    is(join(',', map { $_->{event} } @evs), 'queued,ended',
        'ended call stream: queued, ended');
    is($evs[-1]{json}{reason}, 'abandoned', 'ended: abandoned');
    is($evs[-1]{json}{call}, $h->{call}, 'ended names the call');
    $s->close;
}
is($t->redis_cmd_ok('ZSCORE', 'cc:queue:sales:waiting', $h->{call}), undef,
    'abandoned call left the waiting queue');

done_testing;
