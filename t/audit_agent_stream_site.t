# Audit of issue 6, item 6 (pages of other sites cannot act as an agent):
# not only a POST.  An EventSource or an <img> of another site that the
# agent's browser opens with the agent's credentials would make the agent
# present, and the router would offer calls to nobody at the dashboard.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 'bob', name => 'Bob', queues => ['sales'], capacity => 1 }]);
$t->start_router;
$t->default_server;

sub conns { $t->redis_cmd('ZCARD', 'cc:agent:bob:conns') }

# the stream as a page of another site would open it
for my $h ({ Origin => 'https://evil.example' }, { Origin => 'null' },
           { 'Sec-Fetch-Site' => 'cross-site', 'Sec-Fetch-Dest' => 'image' })
{
    my $what = join ' ', %$h;
    # a stream that opens (200) is read no further: no hang before is()
    my $s = eval { $t->agent_sse('bob', headers => $h) };
    my $status = $s ? $s->status : ($@ =~ m{^sse .*?HTTP/1\.1 (\d{3})}s)[0];
    is($status, 403, "GET /agent/events, $what: 403");
    $s->close if $s;
    is(conns(), 0, '... bob is not present');
}
my $r = $t->http('GET', '/agent/calls/abc',
    headers => { 'X-Agent' => 'bob', Origin => 'https://evil.example' });
is($r->{status}, 403, 'GET /agent/calls/ID from another origin: 403');

# the dashboard's own stream (its origin, or none, or same-origin; the
# harness's streams name the host localhost)
for my $h ({ Origin => 'http://localhost' }, {}, { 'Sec-Fetch-Site' => 'same-origin' }) {
    my $s = $t->agent_sse('bob', headers => $h);
    ok($s->wait_event('status'), 'the agent stream, ' . (join(' ', %$h)
        || 'no Origin') . ': opens');
    ok(conns() >= 1, '... bob is present');
    $s->close;
}

$t->finish;
done_testing;
