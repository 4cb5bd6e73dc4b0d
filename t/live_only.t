# Live-only events (issue 6, item 5): a payload "- EVENT DATA" published on
# a stream's channel (a caller stream's: its worker's) reaches the streams that are live, with the id each
# wrote last; it is never stored, never replayed, and a resume from that id
# neither repeats nor loses anything.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 }]);
$t->start_router;
$t->default_server;

my $c = $t->create_call(queue => 'sales');
my $q = "?token=$c->{token}";
my $channel = "cc:call:$c->{call}:events";
my $s = $t->sse("/call/$c->{call}/events$q");
my $queued = $s->wait_event('queued');
ok($queued, 'the caller stream is live');

# A stream that got its first events (an agent's snapshot comes before
# its channel is subscribed) may still be subscribing or finishing its
# catch-up (one more XRANGE) and skip a live-only event meanwhile, as it
# should: publish again until one arrives.
# A caller stream's events go to its worker's channel ("KEY MESSAGE" on
# cc:nginx:TAG, TAG from the stream's connection "TAG.N" in the call's
# connections), an agent stream's to its own channel.
sub live_only {
    my ($stream, $channel, $data, $call) = @_;
    my ($to, $msg) = ($channel, "- message $data");
    if ($call) {
        my ($conn) = grep { /\./ } @{ $t->redis_cmd('ZRANGE',
            "cc:call:$call:conns", 0, -1) };
        ($to, $msg) = ("cc:nginx:" . ($conn =~ s/\..*//r), "$channel $msg")
            if $conn;
    }
    $t->wait_for(sub {
        $t->redis_cmd('PUBSUB', 'NUMSUB', $to)->[1] >= 1 })
        or return undef;
    for (1 .. 20) {
        $t->redis_cmd('PUBLISH', $to, $msg);
        my $ev = $stream->next_event(timeout => 0.5);
        return $ev if $ev;
    }
    return undef;
}

my $typing = qq({"call":"$c->{call}","from":"agent","message":{"type":"typing"}});
my $ev = live_only($s, $channel, $typing, $c->{call});
is($ev && $ev->{json}{message}{type}, 'typing', 'it arrives live');
is($ev && $ev->{id}, $queued->{id}, '... with the id written last');
is($t->redis_cmd('XLEN', $channel), 1, '... and is not stored');

my $r = $t->http('POST', "/call/$c->{call}/messages$q",
    body => '{"type":"chat","text":"kept"}');
$ev = $s->next_event;
is($ev && $ev->{id}, $r->{json}{id}, 'the next kept message: its own id');
$s->close;

# resuming from the live-only event's id: the kept message, once
$s = $t->sse("/call/$c->{call}/events$q",
    headers => { 'Last-Event-ID' => $queued->{id} });
$t->http('POST', "/call/$c->{call}/messages$q",
    body => '{"type":"chat","text":"after"}');
my @got = $s->events_until(sub {
    ($_[0]{json}{message}{text} // '') eq 'after' });
is(join(',', map { $_->{json}{message}{text} // $_->{json}{message}{type}
    // $_->{event} } @got), 'kept,after',
    'resume from that id: nothing repeated, nothing lost');
$s->close;

# the same on an agent stream
my $a = $t->agent_sse('alice');
my $status = $a->wait_event('status');
ok($status, 'the agent stream is live');
$ev = live_only($a, 'cc:agent:alice:events', $typing);
is($ev && $ev->{json}{message}{type}, 'typing', 'agent: live-only arrives');
is($ev && $ev->{id}, $status->{id}, '... with the id written last');
$a->close;

done_testing;
