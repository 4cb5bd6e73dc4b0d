# An agent's resume never loses a message of a call it holds (issue 6,
# item 5): when the agent stream was trimmed past the resume point, the
# stream starts again from its tip with the agent's state and every message
# of each held call since that point, from the call's own stream.  A resume
# over an untrimmed stream repeats nothing and misses nothing.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 2 }]);
$t->start_router;
$t->default_server;

my $sa = $t->agent_online('alice');
my (%call, %caller);
for my $n ('A', 'B') {
    $call{$n} = $t->create_call(queue => 'sales', name => "caller $n");
    my $id = $call{$n}{call};
    $caller{$n} = $t->sse("/call/$id/events?token=$call{$n}{token}");
    ok($sa->wait_event('offer', match => sub { $_[0]{json}{call} eq $id },
        timeout => 10), "offer of call $n");
    is($t->agent_http('alice', 'POST', "/agent/calls/$id/accept")->{status},
        200, "alice holds call $n");
}
sub say {
    my ($n, $text) = @_;
    my $r = $t->http('POST', "/call/$call{$n}{call}/messages"
        . "?token=$call{$n}{token}",
        body => qq({"type":"chat","text":"$text"}));
    die "message $text: $r->{status}" unless $r->{status} == 202;
    return $r->{json}{id};
}
sub text { $_[0]{json}{message}{text} // '' }

# ---- plain resume: nothing repeated, nothing missed
my $ev = $sa->wait_event('assigned', match => sub {
    $_[0]{json}{call} eq $call{B}{call} });
ok($ev, 'assigned B on the agent stream');
say('A', 'seen');
ok($sa->wait_event('message', match => sub { text($_[0]) eq 'seen' }),
    'a message seen live');
my $resume = $sa->last_id;
$sa->close;
say('A', 'x1');
say('B', 'y1');
my $s = $t->agent_sse('alice', headers => { 'Last-Event-ID' => $resume });
say('A', 'x2');
my @got = $s->events_until(sub { text($_[0]) eq 'x2' });
is(join(',', map { text($_) || $_->{event} } @got), 'x1,y1,x2',
    'plain resume: the missed messages, then live, nothing twice');
$resume = $s->last_id;
$s->close;

# ---- the agent stream trimmed past the resume point
my $m = say('A', 'm');
say('B', "b$_") for 1 .. 3;
my $ak = 'cc:agent:alice:events';
$t->redis_cmd_ok('XTRIM', $ak, 'MAXLEN', 1);
my $info = { @{ $t->redis_cmd_ok('XINFO', 'STREAM', $ak) } };
ok(id_cmp($info->{'first-entry'}[0], $resume) > 0,
    'entries after the resume point are gone from the agent stream');
my $tip = $info->{'last-generated-id'};

$s = $t->agent_sse('alice', headers => { 'Last-Event-ID' => $resume });
my $after = say('A', 'live');
@got = $s->events_until(sub { text($_[0]) eq 'live' });
my ($gotm) = grep { $_->{event} eq 'message' && text($_) eq 'm' } @got;
ok($gotm, 'the message m trimmed from the agent stream arrives');
is($gotm && $gotm->{json}{event_id}, $m, '... with event_id its id in A\'s '
    . 'stream');
is($gotm && $gotm->{json}{call}, $call{A}{call}, '... of call A');
is($gotm && $gotm->{id}, $tip, '... with the id of the stream\'s tip');
# (messages of the resume point's ms may come again: the dashboard knows
# them by event_id)
is(join(',', map { text($_) } grep { $_->{event} eq 'message'
    && $_->{json}{call} eq $call{B}{call} && text($_) =~ /^b\d$/ } @got),
    'b1,b2,b3', 'B\'s messages since the resume point too');
my %events = map { $_->{event} => 1 } @got;
ok($events{status} && $events{assigned}, 'with the agent\'s state (status, '
    . 'assigned)');
is(scalar(grep { $_->{event} eq 'assigned' } @got), 2, '... both calls held');
is($got[-1]{json}{event_id}, $after, 'then the live message');
ok(!grep({ id_cmp($got[$_]{id}, $got[$_ - 1]{id}) < 0 } 1 .. $#got),
    'ids never go back');

# and on from there: a plain resume again
$resume = $s->last_id;
$s->close;
say('B', 'z1');
$s = $t->agent_sse('alice', headers => { 'Last-Event-ID' => $resume });
say('B', 'z2');
@got = $s->events_until(sub { text($_[0]) eq 'z2' });
is(join(',', map { text($_) || $_->{event} } @got), 'z1,z2',
    'a resume after it: nothing twice');
$s->close;

sub id_cmp {
    my ($x, $y) = @_;
    my ($xm, $xs) = split /-/, $x;
    my ($ym, $ys) = split /-/, $y;
    return $xm <=> $ym || $xs <=> $ys;
}

done_testing;
