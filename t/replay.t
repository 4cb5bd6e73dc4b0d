# Replay with Last-Event-ID (header or ?last_event_id=), stream starts,
# growing ids, heartbeat comments.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 2 }]);
$t->start_router;
$t->default_server(extra => 'callcenter_heartbeat 1s;');

sub id_lt {       # stream ids "ms-seq" compare numerically
    my ($a, $b) = @_;
    my ($am, $as) = split /-/, $a;
    my ($bm, $bs) = split /-/, $b;
    return $am < $bm || ($am == $bm && ($as // 0) < ($bs // 0));
}

my $sa = $t->agent_online('alice');
# the caller's own stream (its presence makes the call ring) is the one
# read below: four streams on the call in all, callcenter_streams_per_call
my $c = $t->create_call(queue => 'sales', name => 'Zoe', -stream => 0);
my $q = "?token=$c->{token}";
# the caller is there (a call rings only while its caller's stream is open)
my $cs = $t->sse("/call/$c->{call}/events$q");
my $ev = $sa->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $c->{call} });
is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
    ->{status}, 200, 'accepted');

# ---- caller stream without Last-Event-ID: from the beginning
my @first = $cs->events_until(sub { $_[0]{event} eq 'assigned' });
is(join(',', map { $_->{event} } @first), 'queued,assigned',
    'caller stream starts from the call\'s beginning');
ok(defined $first[0]{id} && length $first[0]{id}, 'events carry ids');

my @sent;
for my $i (1 .. 5) {
    my $r = $t->http('POST', "/call/$c->{call}/messages$q",
        body => qq({"type":"chat","text":"m$i"}));
    is($r->{status}, 202, "message m$i");
    push @sent, $r->{json}{id};
}
my @live = map { $cs->wait_event('message') } 1 .. 5;
is(join(',', map { $_ && $_->{json}{message}{text} } @live),
    'm1,m2,m3,m4,m5', 'live messages in order');
is(join(',', map { $_ && $_->{id} } @live), join(',', @sent),
    'SSE ids are the ids the 202 answers gave');
my @all = (@first, @live);
ok(!grep({ !id_lt($all[$_ - 1]{id}, $all[$_]{id}) } 1 .. $#all),
    'ids grow within the stream');
$cs->close;

# miss m3..m5 and two more sent while away
for my $i (6 .. 7) {
    $t->http('POST', "/call/$c->{call}/messages$q",
        body => qq({"type":"chat","text":"m$i"}));
}
for my $how ('header', 'query') {
    my $last = $live[1]{id};    # m2
    my $s = $how eq 'header'
        ? $t->sse("/call/$c->{call}/events$q",
            headers => { 'Last-Event-ID' => $last })
        : $t->sse("/call/$c->{call}/events$q&last_event_id=$last");
    my @got = map { $s->next_event } 1 .. 5;
    is(join(',', map { $_ ? $_->{json}{message}{text} // $_->{event} : '-' }
        @got), 'm3,m4,m5,m6,m7', "caller replay ($how): every missed event");
    # then live
    $t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/messages",
        body => qq({"type":"chat","text":"live-$how"}));
    $ev = $s->wait_event('message',
        match => sub { $_[0]{json}{message}{text} eq "live-$how" });
    is($ev && $ev->{json}{message}{text}, "live-$how",
        "caller replay ($how): then live");
    $s->close;
}

# ---- agent stream: snapshot without Last-Event-ID
$sa->close;
my $c2 = $t->create_call(queue => 'sales', name => 'Yves', -stream => 0);
my $present2 = $t->sse("/call/$c2->{call}/events?token=$c2->{token}");
my $s2 = $t->agent_sse('alice');
# read until both the held call and the new offer showed up
my (%held, %offered);
my @snap = $s2->events_until(sub {
    my ($e) = @_;
    $held{ $e->{json}{call} } = 1 if $e->{event} eq 'assigned';
    $offered{ $e->{json}{call} } = 1 if $e->{event} eq 'offer';
    return $held{ $c->{call} } && $offered{ $c2->{call} };
}, timeout => 10);
is($snap[0] && $snap[0]{event}, 'status', 'agent stream starts with status');
is($snap[0] && $snap[0]{json}{status}, 'available', '... available');
ok($held{ $c->{call} }, 'snapshot: assigned for the held call');
ok($offered{ $c2->{call} }, 'snapshot or live: the pending offer');
is(scalar(grep { $_->{event} eq 'status' } @snap), 1, 'one status event');
my $agent_last = @snap ? $snap[-1]{id} : '0';
$s2->close;

# events while the agent is away from the stream
$t->http('POST', "/call/$c->{call}/messages$q",
    body => '{"type":"chat","text":"while-away-1"}');
$t->http('POST', "/call/$c->{call}/messages$q",
    body => '{"type":"chat","text":"while-away-2"}');
for my $how ('header', 'query') {
    my $s = $how eq 'header'
        ? $t->agent_sse('alice', headers => { 'Last-Event-ID' => $agent_last })
        : $t->agent_sse('alice',
            path => "/agent/events?last_event_id=$agent_last");
    my @got = $s->events_until(sub {
        ($_[0]{json}{message}{text} // '') eq 'while-away-2' });
    is(join(',', map { $_->{json}{message}{text} // $_->{event} } @got),
        'while-away-1,while-away-2', "agent replay ($how): missed events");
    $t->http('POST', "/call/$c->{call}/messages$q",
        body => qq({"type":"chat","text":"agent-live-$how"}));
    $ev = $s->wait_event('message',
        match => sub { $_[0]{json}{message}{text} eq "agent-live-$how" });
    is($ev && $ev->{json}{message}{text}, "agent-live-$how",
        "agent replay ($how): then live");
    $s->close;
}

# ---- heartbeats on an idle stream
{
    # the whole history first (up to its last message), then idle
    my $s = $t->sse("/call/$c->{call}/events$q");
    ok($s->wait_event('message', match => sub {
        $_[0]{json}{message}{text} eq 'agent-live-query' }),
        'the replay reached the last message');
    1 while defined $s->next_comment(timeout => 0);   # any seen so far
    my $comment = $s->next_comment(timeout => 5);
    ok(defined $comment, 'idle stream gets a heartbeat comment')
        or diag 'no comment';
    $s->close;
}
$present2->close;

done_testing;
