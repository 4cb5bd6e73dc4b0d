# Messages are limited per call (PROTOCOL.md "Caller API"): beyond
# callcenter_message_rate (a token bucket with its burst) or
# callcenter_call_budget (bytes of kept messages) a caller's message gets
# 429 and is neither stored nor delivered; typing is delivered live but
# never kept.  The audit's attacks: 1,000 x 16 KB messages in 3 s, and
# 10,300 typing events trimming another caller's message out of the
# agent's stream.  Agents are not rate-limited.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 6 },
]);
$t->start_router;
$t->default_server(extra => <<'EOF');
location /slow/call {
            callcenter_caller;
            callcenter_message_rate 1r/m burst=3;
        }
        location /small/call {
            callcenter_caller;
            callcenter_message_rate 1000r/s burst=1000;
            callcenter_call_budget 2k;
        }
EOF
my $J = CCTest->json;
my $sa = $t->agent_online('alice');

sub xlen { $t->redis_cmd_ok('XLEN', "cc:call:$_[0]:events") }

# a call on location loc, its caller present, held by alice
sub held_call {
    my ($loc) = @_;
    my $res = $t->http('POST', $loc, body => '{"queue":"sales"}',
        headers => { 'Content-Type' => 'application/json' });
    die "POST $loc: $res->{status}\n" unless $res->{status} == 201;
    my $c = $res->{json};
    $c->{stream} = $t->sse("$loc/$c->{call}/events?token=$c->{token}");
    $sa->wait_event('offer', timeout => 10,
        match => sub { $_[0]{json}{call} eq $c->{call} })
        or die "no offer\n";
    $t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
        ->{status} == 200 or die "no accept\n";
    $c->{stream}->wait_event('assigned') or die "not assigned\n";
    $c->{path} = "$loc/$c->{call}/messages?token=$c->{token}";
    return $c;
}
sub say_ {
    my ($c, $msg) = @_;
    return $t->http('POST', $c->{path}, body => $msg,
        headers => { 'Content-Type' => 'application/json' });
}
sub agent_say {
    my ($c, $text) = @_;
    return $t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/messages",
        body => $J->encode({ type => 'chat', text => $text }));
}
# the caller stream's next message event
sub next_message {
    my ($s) = @_;
    my $ev = $s->wait_event('message', timeout => 10);
    return $ev && $ev->{json}{message};
}

# ---- the rate: 1r/m burst=3, so a few pass and the rest are refused

my $c = held_call('/slow/call');
my $before = xlen($c->{call});
my (@status, $first429);
for my $i (1 .. 10) {
    my $res = say_($c, $J->encode({ type => 'chat', text => "m$i" }));
    push @status, $res->{status};
    $first429 //= $res if $res->{status} == 429;
}
my $passed = grep { $_ == 202 } @status;
note("1r/m burst=3: @status");
ok($passed >= 3 && $passed <= 4, "the burst passes ($passed of 10)");
is(join(',', @status), join(',', (202) x $passed, (429) x (10 - $passed)),
    'then every message is refused');
is($first429 && $first429->{status}, 429, '429 beyond the rate');
ok($first429 && ref $first429->{json} eq 'HASH'
    && $first429->{json}{error}, '... with a JSON error')
    or diag explain $first429;
is(xlen($c->{call}), $before + $passed, 'only the accepted are stored');
is(say_($c, '{"type":"typing"}')->{status}, 429, 'typing too is rate-limited');

# delivered: the accepted, then (not the refused) the agent's next line
my @got = map { next_message($c->{stream}) } 1 .. $passed;
is_deeply([ map { $_ && $_->{text} } @got ], [ map { "m$_" } 1 .. $passed ],
    'the caller stream holds the accepted messages');
is(agent_say($c, 'agents are not limited')->{status}, 202,
    'the agent still speaks on the call: 202');
my $m = next_message($c->{stream});
is($m && $m->{text}, 'agents are not limited',
    '... and the next message is the agent\'s: the refused went nowhere');

# per call: another call on the same location speaks freely
my $c2 = held_call('/slow/call');
is(say_($c2, '{"type":"chat","text":"mine"}')->{status}, 202,
    'another call is not limited by the first');

# ---- typing: delivered live, never kept

my $c3 = held_call('/call');
my $len = xlen($c3->{call});
is(say_($c3, '{"type":"typing"}')->{status}, 202, 'typing: 202');
$m = next_message($c3->{stream});
is($m && $m->{type}, 'typing', 'typing reaches the open caller stream');
is(xlen($c3->{call}), $len, '... and is not stored in the call');
is(agent_say($c3, 'after typing')->{status}, 202, 'then a chat');
{
    my $s = $t->sse("/call/$c3->{call}/events?token=$c3->{token}");
    my @evs = $s->events_until(sub { $_[0]{event} eq 'message'
        && $_[0]{json}{message}{type} eq 'chat' });
    ok(@evs && $evs[-1]{json}{message}{text} eq 'after typing',
        'a replay from the start reaches the chat');
    ok(!grep({ $_->{event} eq 'message'
            && $_->{json}{message}{type} eq 'typing' } @evs),
        '... with no typing in it');
    $s->close;
}

# 10,300 typing events of one caller do not trim another caller's message
# out of the agent's resume
{
    my $flood = held_call('/small/call');
    my $res = say_($c2, '{"type":"chat","text":"do not lose me"}');
    is($res->{status}, 202, 'a message of another call: 202');
    my $resume = $t->redis_cmd_ok('XINFO', 'STREAM', 'cc:agent:alice:events');
    my %info = @$resume;
    my $len0 = $info{length};
    my $ok = 0;
    $ok++ while $ok < 300 && say_($flood, '{"type":"typing"}')->{status}
        == 202;
    is($ok, 300, '300 typing events accepted within the burst');
    %info = @{ $t->redis_cmd_ok('XINFO', 'STREAM', 'cc:agent:alice:events') };
    is($info{length}, $len0, 'the agent stream stored none of them');
}

# ---- the budget: 2k of kept messages per call

my $c4 = held_call('/small/call');
$len = xlen($c4->{call});
my ($kept, $refused) = (0, 0);
my $line = 'b' x 400;
for (1 .. 10) {
    my $st = say_($c4, $J->encode({ type => 'chat', text => $line }))
        ->{status};
    $st == 202 ? $kept++ : $st == 429 ? $refused++ : ();
}
note("budget 2k, 10 chats of 400 bytes: $kept kept, $refused refused");
ok($kept >= 3 && $kept <= 5, "about 2k kept ($kept messages)");
is($kept + $refused, 10, 'the others refused with 429');
is(xlen($c4->{call}), $len + $kept, 'only the kept are stored');
is(say_($c4, '{"type":"typing"}')->{status}, 202,
    'typing, kept nowhere, is outside the budget');

$_->{stream}->close for $c, $c2, $c3, $c4;
$sa->close;
done_testing;
