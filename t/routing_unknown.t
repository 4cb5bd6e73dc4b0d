# Unknown queues (PROTOCOL.md "Queues and routing"): a queue neither in the
# queues file nor named by an agent is refused with 400 and nothing is
# stored; a queue named only in the queues file is known; a bad queues
# file is refused whole, the settings before it stay.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([{ id => 'alice', queues => ['byagent'] }]);
$t->write_queues({ fileonly => { strategy => 'top-down' } });
my $r = $t->start_router('--tick', 100);
$t->default_server;

sub post_call {
    my ($q) = @_;
    return $t->http('POST', '/call', body => { queue => $q },
        headers => { 'Content-Type' => 'application/json' });
}

my @before = $t->redis_keys;
for my $q (qw(nosuch other-1)) {
    my $res = post_call($q);
    is($res->{status}, 400, "POST /call to $q: 400");
    is_deeply($res->{json}, { error => 'unknown queue' },
        '... {"error": "unknown queue"}');
    $res = $t->http('GET', "/call?queue=$q");
    is($res->{status}, 400, "GET /call?queue=$q: 400");
    is($res->{json} && $res->{json}{error}, 'unknown queue', '... JSON error');
}
my %was = map { $_ => 1 } @before;
is_deeply([grep { !$was{$_} && /nosuch|other-1|^cc:call:/ }
    $t->redis_keys], [], 'nothing stored for them');

for my $q (qw(fileonly byagent)) {
    my $res = post_call($q);
    is($res->{status}, 201, "POST /call to $q: 201");
    is($res->{json} && $res->{json}{status}, 'queued', '... queued');
    is($t->http('GET', "/call?queue=$q")->{status}, 303,
        "GET /call?queue=$q: 303");
}

# a bad file (one bad field): refused whole on SIGHUP
$t->write_queues({ fileonly => {}, newq => {}, bad => { strategy => 'nope' } });
$t->hup_router($r);
ok($t->wait_for(sub { $r->log_text =~ /queues[^\n]*rejected/ },
    timeout => 10), 'SIGHUP: the bad queues file is rejected');
is(post_call('newq')->{status}, 400, 'a queue of the refused file: unknown');
is(post_call('fileonly')->{status}, 201, 'the settings before stay');

# a good one: its queues known
$t->write_queues({ fileonly => {}, newq => {} });
my $log = length $r->log_text;
$t->hup_router($r);
ok($t->wait_for(sub { substr($r->log_text, $log) =~ /queues[^\n]*loaded/ },
    timeout => 10), 'SIGHUP: the new queues file loaded');
is(post_call('newq')->{status}, 201, 'its new queue is known');

done_testing;
