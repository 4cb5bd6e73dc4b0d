# The call's token as the X-Call-Token header (PROTOCOL.md "Caller API"),
# so that it stays out of access logs: every request about a call takes
# it, and the header wins over ?token= on each of them alike.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->load_agents([{ id => 'alice', queues => ['default', 'sales'] }]);
$t->default_server;

my $c = $t->create_call(queue => 'sales');
my ($id, $tok) = @{$c}{qw(call token)};
(my $wrong = $tok) =~ s/^(.)/$1 eq 'A' ? 'B' : 'A'/e;
my $chat = '{"type":"chat","text":"hello"}';

sub req {
    my ($method, $path, $header, %opt) = @_;
    return $t->http($method, $path,
        headers => { 'Content-Type' => 'application/json',
            defined $header ? ('X-Call-Token' => $header) : () },
        $method eq 'POST' ? (body => $opt{body} // '') : ());
}

# the caller's stream with the header only, and the header winning
{
    my $s = eval { $t->sse("/call/$id/events",
        headers => { 'X-Call-Token' => $tok }) };
    ok($s, 'events with the header only: a stream') or diag $@;
    $s->close if $s;
    $s = eval { $t->sse("/call/$id/events?token=$wrong",
        headers => { 'X-Call-Token' => $tok }) };
    ok($s, 'events: a right header wins over a wrong ?token=') or diag $@;
    $s->close if $s;
}
is(req('GET', "/call/$id/events?token=$tok", $wrong)->{status}, 403,
    'events: a wrong header wins over a right ?token=');
is(req('GET', "/call/$id/events", undef)->{status}, 403,
    'events with neither: 403');

# messages
my $len = $t->redis_cmd_ok('XLEN', "cc:call:$id:events");
my $res = req('POST', "/call/$id/messages", $tok, body => $chat);
is($res->{status}, 202, 'message with the header only: 202');
ok($res->{json} && $res->{json}{id}, '... with its event id');
is(req('POST', "/call/$id/messages?token=$wrong", $tok, body => $chat)
    ->{status}, 202, 'message: a right header wins over a wrong ?token=');
is($t->redis_cmd_ok('XLEN', "cc:call:$id:events"), $len + 2,
    'both messages stored');
$len += 2;
for my $case ([undef, '', 'neither'], [$wrong, "?token=$tok",
        'a wrong header and a right ?token='],
    ['x' x 200, '', 'an overlong header'], ["$tok x", '', 'a header with a space'])
{
    my ($h, $q, $name) = @$case;
    is(req('POST', "/call/$id/messages$q", $h, body => $chat)->{status}, 403,
        "message with $name: 403");
}
is($t->redis_cmd_ok('XLEN', "cc:call:$id:events"), $len,
    'refused messages stored nothing');

# hangup
is(req('POST', "/call/$id/hangup", undef)->{status}, 403,
    'hangup with neither: 403');
is(req('POST', "/call/$id/hangup?token=$tok", $wrong)->{status}, 403,
    'hangup: a wrong header wins over a right ?token=');
is($t->redis_cmd_ok('HGET', "cc:call:$id", 'state'), 'queued',
    'the call still waits');
$res = req('POST', "/call/$id/hangup?token=$wrong", $tok);
is($res->{status}, 200, 'hangup with the right header: 200');
is($res->{json} && $res->{json}{reason}, 'abandoned', '... the call ended');

done_testing;
