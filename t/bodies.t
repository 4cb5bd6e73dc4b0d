# Request bodies: the module keeps what the Content-Length announces (or
# grows with a chunked body), never callcenter_body_max up front; a
# Content-Length over the limit is answered 413 at once, without asking
# for the body.  The attack: many connections that each announce a small
# body and send half of it, with a large callcenter_body_max.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use IO::Socket::INET;
use IO::Select;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->load_agents([{ id => 'alice', queues => ['default', 'sales'] }]);
$t->default_server(extra => <<'EOF');
location /big/call { callcenter_caller; callcenter_body_max 16m; }
        location = /nginx_status { stub_status; }
EOF
my $port = $t->port;
my $J = CCTest->json;

sub vm_kb {
    my ($pid) = $t->_live_workers;
    open my $fh, '<', "/proc/$pid/status" or return 0;
    my ($kb) = map { /^VmSize:\s+(\d+)/ ? $1 : () } <$fh>;
    return $kb // 0;
}
sub writing {
    my $s = $t->http('GET', '/nginx_status')->{content} // '';
    return $s =~ /Writing: (\d+)/ ? $1 : 0;
}
# the answer on a socket, read until whole (head and Content-Length body)
sub response {
    my ($s) = @_;
    my $sel = IO::Select->new($s);
    my $raw = '';
    while ($sel->can_read(CCTest->scale(10))) {
        sysread($s, my $buf, 65536) or last;
        $raw .= $buf;
        # a 100 Continue first, then the answer
        (my $rest = $raw) =~ s{^HTTP/1\.1 100 [^\r\n]*\r\n\r\n}{};
        last if $rest =~ /\r\n\r\n/ && $rest =~ /Content-Length: (\d+)/i
            && length($rest) - index($rest, "\r\n\r\n") - 4 >= $1;
    }
    my %res = (raw => $raw);
    (my $rest = $raw) =~ s{^HTTP/1\.1 100 [^\r\n]*\r\n\r\n}{};
    ($res{status}) = $rest =~ m{^HTTP/1\.1 (\d{3})};
    $res{json} = CCTest::decode_json_maybe(
        (split /\r\n\r\n/, $rest, 2)[1]);
    return \%res;
}
sub open_partial {
    my ($head, $part) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $port, Proto => 'tcp') or die "connect: $!";
    binmode $s;
    syswrite($s, $head . $part);
    return $s;
}

# ---- half-sent bodies, each announcing 20 bytes of a 16m limit

my $n = 100;
my $before = vm_kb();
my @socks = map { open_partial("POST /big/call HTTP/1.1\r\nHost: x\r\n"
    . "Content-Type: application/json\r\nContent-Length: 20\r\n\r\n",
    '{"name":') } 1 .. $n;
ok($t->wait_for(sub { writing() >= $n + 1 }, timeout => 10),
    "$n requests are reading their bodies");
my $grown = vm_kb() - $before;
note(sprintf "worker VmSize grew by %d KiB for %d half-sent bodies "
    . "(callcenter_body_max 16m)", $grown, $n);
cmp_ok($grown, '<', 16 * 1024,
    "$n bodies of 20 bytes take less than one callcenter_body_max");

# they complete into real calls: what was kept is the body
for my $s (@socks) { syswrite($s, '"ann"}      ') }
my $created = 0;
for my $s (@socks) {
    $created++ if (response($s)->{status} // 0) == 201;
    close $s;
}
is($created, $n, "the $n bodies, once whole, create their calls");

# ---- chunked bodies: grown as they come

$before = vm_kb();
@socks = map { open_partial("POST /big/call HTTP/1.1\r\nHost: x\r\n"
    . "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    "8\r\n{\"name\":\r\n") } 1 .. $n;
ok($t->wait_for(sub { writing() >= $n + 1 }, timeout => 10),
    "$n chunked requests are reading their bodies");
$grown = vm_kb() - $before;
note(sprintf "worker VmSize grew by %d KiB for %d half-sent chunked bodies",
    $grown, $n);
cmp_ok($grown, '<', 16 * 1024,
    "$n chunked bodies take less than one callcenter_body_max");
close $_ for @socks;

# a chunked body in many small pieces is kept whole as it grows
{
    my $name = join '', map { chr(0x41 + $_ % 26) } 0 .. 99;
    my $page = 'https://shop.example/' . ('p' x 2000);
    my $body = $J->encode({ name => $name, page => $page,
        info => { map { ("k$_" => 'v' x 200) } 1 .. 30 } });
    cmp_ok(length $body, '>', 8000, 'a body of more than 8 KiB');
    my $chunked = '';
    for (my $i = 0; $i < length $body; $i += 97) {
        my $piece = substr($body, $i, 97);
        $chunked .= sprintf("%x\r\n%s\r\n", length $piece, $piece);
    }
    my $raw = $t->raw_http("POST /big/call HTTP/1.1\r\nHost: x\r\n"
        . "Content-Type: application/json\r\nConnection: close\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n$chunked" . "0\r\n\r\n");
    is($raw->{status}, 201, 'chunked body of 90 pieces: 201');
    my $id = $raw->{json} && $raw->{json}{call};
    my $caller = $id && $J->decode($t->redis_cmd_ok('HGET', "cc:call:$id",
        'caller') // '{}');
    is($caller && $caller->{name}, $name, '... the name whole');
    is($caller && $caller->{page}, $page, '... the page whole');
    is($caller && scalar keys %{ $caller->{info} // {} }, 30,
        '... and every info field');
}

# ---- a Content-Length over the limit: 413 at once, the body never asked

for my $case (['/call', 16 * 1024 + 1], ['/big/call', 16 * 1024 * 1024 + 1],
    ['/call', 10 ** 12])
{
    my ($path, $len) = @$case;
    my $dbsize = $t->stored_keys;
    my $s = open_partial("POST $path HTTP/1.1\r\nHost: x\r\n"
        . "Content-Type: application/json\r\nContent-Length: $len\r\n"
        . "Expect: 100-continue\r\n\r\n", '');
    my $raw = response($s);
    close $s;
    is($raw->{status}, 413, "$path Content-Length $len: 413");
    ok($raw->{json} && $raw->{json}{error}, '... the JSON error');
    unlike($raw->{raw}, qr/100 Continue/, '... without asking for the body');
    is($t->stored_keys, $dbsize, '... nothing stored');
}

# within the limit, 100 Continue asks for the body as usual
{
    my $body = '{"name":"Expecting"}';
    my $s = open_partial("POST /call HTTP/1.1\r\nHost: x\r\n"
        . "Content-Type: application/json\r\nContent-Length: "
        . length($body) . "\r\nExpect: 100-continue\r\n\r\n", '');
    my $sel = IO::Select->new($s);
    my $raw = '';
    while ($raw !~ /\r\n\r\n/ && $sel->can_read(CCTest->scale(10))) {
        sysread($s, my $buf, 65536) or last;
        $raw .= $buf;
    }
    like($raw, qr{^HTTP/1\.1 100 Continue}, 'a body within the limit: '
        . '100 Continue');
    syswrite($s, $body);
    is(response($s)->{status}, 201, '... then 201');
    close $s;
}

done_testing;
