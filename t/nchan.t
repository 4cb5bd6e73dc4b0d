# Beside Nchan: Debian's libnginx-mod-nchan carries its own hiredis and
# nginx loads modules RTLD_GLOBAL; with both modules in one nginx (either
# order) no worker dies, a call goes through and an Nchan channel (memory
# store) still delivers.  The module's dynamic symbols are only its own.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $nchan = $ENV{CC_NCHAN_MODULE} // '/usr/lib/nginx/modules/ngx_nchan_module.so';
plan skip_all => "no $nchan (apt-get install libnginx-mod-nchan)"
    unless -f $nchan;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
]);
$t->start_router;

# ---- what the module exports and imports: nothing of hiredis

my $module = CCTest->module_path;
my @defined = map { (split ' ')[-1] } `nm -D --defined-only '$module'`;
is(join(' ', sort @defined),
    'ngx_http_callcenter_module ngx_module_names ngx_module_order ngx_modules',
    'module exports only what nginx looks up, and itself');
my @undefined = map { (split ' ')[-1] } `nm -D --undefined-only '$module'`;
ok(@undefined, 'nm -D --undefined-only answers');
is(join(' ', grep { /^(?:redis|sds|__redis)/ } @undefined), '',
    'no hiredis symbol left for another module to provide');

# ---- one nginx with both, in both orders (the master's error.log is
# kept: a worker's death is an [alert] the end of the file also fails on)

my $nchan_locations = <<'EOF';
location = /nchan/pub { nchan_publisher; nchan_channel_id test; }
        location = /nchan/sub { nchan_subscriber; nchan_channel_id test; }
EOF

my $ours = "load_module $module;";
my $theirs = "load_module $nchan;";
my $n = 0;
for my $order ([nchan_first => "$theirs\n$ours"],
    [ours_first => "$ours\n$theirs"])
{
    my ($name, $main) = @$order;
    $t->default_server(module => '', main => $main, workers => 2,
        extra => $nchan_locations);

    # a call through: created, offered, accepted, a message each way
    my $c = $t->create_call(queue => 'sales', name => "Zoe $name");
    my $cs = $c->{stream};
    my $sa = $t->agent_online('alice');
    my $ev = $sa->wait_event('offer', timeout => 10);
    is($ev && $ev->{json}{call}, $c->{call}, "$name: alice offered the call");
    is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
        ->{status}, 200, "$name: accept");
    $ev = $cs->wait_event('assigned');
    is($ev && $ev->{json}{agent}{id}, 'alice', "$name: caller assigned");
    for my $from (qw(caller agent)) {
        my $body = CCTest->json->encode({ type => 'chat',
            text => "from the $from, $name" });
        my $r = $from eq 'caller'
            ? $t->http('POST', "/call/$c->{call}/messages?token=$c->{token}",
                body => $body)
            : $t->agent_http('alice', 'POST',
                "/agent/calls/$c->{call}/messages", body => $body);
        is($r->{status}, 202, "$name: $from message 202");
        my $to = $from eq 'caller' ? $sa : $cs;
        # (each side's stream carries its own messages too)
        $ev = $to->wait_event('message',
            match => sub { $_[0]{json}{from} eq $from });
        is($ev && CCTest->json->encode($ev->{json}{message}), $body,
            "$name: $from message relayed");
    }
    is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/end")
        ->{status}, 200, "$name: agent ends");
    ok($sa->wait_event('ended'), "$name: ended");
    $cs->close;
    $sa->close;

    # Nchan: a subscriber present before the publish gets the message
    my $text = 'hello from nchan ' . ++$n;
    my $sub = $t->sse('/nchan/sub');
    ok($t->wait_for(sub {
        my $r = $t->http('GET', '/nchan/pub',
            headers => { Accept => 'text/json' });
        ($r->{content} // '') =~ /"subscribers"\s*:\s*1\b/;
    }), "$name: nchan counts the subscriber");
    my $r = $t->http('POST', '/nchan/pub', body => $text);
    like($r->{status}, qr/^20[12]$/, "$name: nchan publishes");
    $ev = $sub->next_event;
    is($ev && $ev->{data}, $text, "$name: nchan delivers to the subscriber");
    $sub->close;

    $t->stop_nginx;
    unlike($t->error_log, qr/exited on signal/, "$name: no worker died");
}

done_testing;
