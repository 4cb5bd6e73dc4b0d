# nginx reload with streams open: the old workers end their streams with a
# short retry and exit at once, clients resume on the new workers with
# Last-Event-ID and miss nothing; the agent stays present throughout.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 2 },
]);
$t->start_router;
$t->default_server(workers => 2);

my $sa = $t->agent_online('alice');
my $c = $t->create_call(queue => 'sales', name => 'Reload');
my $cs = $t->sse("/call/$c->{call}/events?token=$c->{token}");
ok($sa->wait_event('offer', timeout => 10), 'alice is offered the call');
is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
    ->{status}, 200, 'alice accepts');
ok($cs->wait_event('assigned'), 'caller: assigned');
ok($sa->wait_event('assigned'), 'agent: assigned');

my %old = map { $_ => 1 } $t->_live_workers;
$t->reload_nginx;

for ([caller => $cs], [agent => $sa]) {
    my ($who, $s) = @$_;
    ok($s->wait_eof(timeout => 5), "$who stream ended by the old worker");
    1 while $s->next_event(timeout => 0);    # what came before the end
    is($s->{retry}, '1000', "$who stream: told to come back soon");
}
ok($t->wait_for(sub { !grep { $old{$_} } keys %{ $t->_worker_pids } },
    timeout => 10), 'the old workers exited');

# a message while nobody listens, then both resume where they were
my $r = $t->http('POST', "/call/$c->{call}/messages?token=$c->{token}",
    body => '{"type":"chat","text":"still there?"}');
is($r->{status}, 202, 'caller writes while disconnected');

my $cs2 = $t->sse("/call/$c->{call}/events?token=$c->{token}",
    headers => { 'Last-Event-ID' => $cs->{last_id} });
my $ev = $cs2->next_event(timeout => 5);
is($ev && $ev->{event}, 'message', 'caller resumes: the missed message');
is($ev && $ev->{id}, $r->{json}{id}, '... with the id the 202 gave');

my $sa2 = $t->sse('/agent/events', headers => { 'X-Agent' => 'alice',
    'Last-Event-ID' => $sa->{last_id} });
$ev = $sa2->next_event(timeout => 5);
is($ev && $ev->{json}{message}{text}, 'still there?',
    'agent resumes: the missed message, nothing before it');

# alice kept her presence across the reload: a new call reaches her
my $c2 = $t->create_call(queue => 'sales');
my $cs3 = $t->sse("/call/$c2->{call}/events?token=$c2->{token}");
$ev = $sa2->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c2->{call}, 'alice still gets offers');

$_->close for $cs, $sa, $cs2, $sa2, $cs3;
done_testing;
