# Presence: offers only while the agent's stream is open; after it closes
# and the grace passes, a pending offer moves on.  A waiting caller whose
# stream is gone for callcenter_caller_grace has abandoned the call, unless
# they come back in time or left a message; so has one who never opened a
# stream within that grace.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
    { id => 'bob', name => 'Bob', queues => ['sales'], capacity => 1 },
]);
$t->start_router;
$t->default_server(extra => 'callcenter_presence_grace 1s; '
    . 'callcenter_caller_grace 2s; callcenter_heartbeat 1s;');

# alice available but without a stream: no offer for her
is($t->agent_http('alice', 'POST', '/agent/status',
    body => '{"status":"available"}')->{status}, 200, 'alice available');
my $c = $t->create_call(queue => 'sales');
my $sb = $t->agent_online('bob');
my $ev = $sb->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c->{call},
    'the call goes to bob, the one with an open stream');
is($t->agent_http('bob', 'POST', "/agent/calls/$c->{call}/accept")->{status},
    200, 'bob accepts');

# alice opens her stream: the next call is hers
my $sa = $t->agent_sse('alice');
my $c2 = $t->create_call(queue => 'sales');
$ev = $sa->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c2->{call}, 'alice present: she gets c2');

# alice's stream closes with the offer pending; bob frees up: after the
# grace the offer moves to bob
$sa->close;
is($t->agent_http('bob', 'POST', "/agent/calls/$c->{call}/end")->{status},
    200, 'bob ends his call');
$ev = $sb->wait_event('offer', timeout => 15,
    match => sub { $_[0]{json}{call} eq $c2->{call} });
ok($ev, 'after the grace the offer moves to bob');
is($t->agent_http('alice', 'POST', "/agent/calls/$c2->{call}/accept")
    ->{status}, 409, 'alice too late: 409');

# alice reopens: her snapshot holds no offer for c2; a status she posts
# then is a live event that comes after the whole snapshot
my $sa2 = $t->agent_sse('alice');
ok($sa2->wait_event('status'), 'alice\'s snapshot begins');
is($t->agent_http('alice', 'POST', '/agent/status',
    body => '{"status":"away"}')->{status}, 200, 'alice away');
my @snap = $sa2->events_until(sub {
    $_[0]{event} eq 'status' && $_[0]{json}{status} eq 'away' });
ok(@snap && $snap[-1]{event} eq 'status', 'her live status came');
ok(!grep({ $_->{event} eq 'offer' && $_->{json}{call} eq $c2->{call} }
    @snap), 'alice\'s snapshot no longer offers c2');
$sa2->close;
$sb->close;

# ---- callers: nobody is available, three callers wait
is($t->agent_http('bob', 'POST', '/agent/status',
    body => '{"status":"away"}')->{status}, 200, 'bob away: nobody takes calls');
my %c = map { $_ => $t->create_call(queue => 'sales', name => $_,
    -stream => 0) } qw(gone back message never);
sub stream_of { $t->sse("/call/$c{$_[0]}{call}/events?token=$c{$_[0]}{token}") }
my %s = map { $_ => stream_of($_) } qw(gone back message);
$t->http('POST', "/call/$c{message}{call}/messages?token=$c{message}{token}",
    body => '{"type":"chat","text":"Call me back: +41 555 0101"}');
sub leaving { $t->redis_cmd('ZSCORE', 'cc:callers:leaving', $c{$_[0]}{call}) }
# back closes first: its grace ends before gone's
$s{$_}->close for qw(back message gone);
my $closed;
ok($t->wait_for(sub { $closed = leaving('back') }), 'back\'s stream closed');
$s{back} = stream_of('back');    # a reload within the grace
ok($t->wait_for(sub { (leaving('back') // 0) > $closed }),
    '... and opened again: looked at no sooner than its new stream may go');

sub state_of {
    $t->redis_cmd('HGET', "cc:call:$c{$_[0]}{call}", $_[1] // 'state')
        // 'none'
}
ok($t->wait_for(sub { state_of('gone') eq 'ended' }, timeout => 10),
    'a caller gone for the grace: the call ends');
is(state_of('gone', 'reason'), 'abandoned', '... abandoned');
is(state_of('back'), 'queued', 'a caller back within the grace still waits');
is(state_of('message'), 'queued', 'a caller who left a message still waits');
is(state_of('never'), 'ended',
    'a call whose stream never opened within the grace ended');
is(state_of('never', 'reason'), 'abandoned', '... abandoned');
like($t->stop_router($t->{routers}[0]) // '', qr/^0$/, 'router stops');
like($t->{routers}[0]->log_text,
    qr/end call=\Q$c{gone}{call}\E queue=sales reason=abandoned waited=\d+s/,
    'router log: the call ended, abandoned');
$s{back}->close;
done_testing;
