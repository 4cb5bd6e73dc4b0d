# Browser end-to-end: real Chromium (Debian's, driven by the npm package
# playwright-core) against the demo's site layout: the shop at /, the
# pages at /callcenter/ (conf/callcenter.conf and the files it includes,
# as they are in the repository), the caller API at /call, the dashboard
# and agent API at /agent/ behind auth_basic.  Every page, the shop
# included, is served with the strict CSP of conf/headers-pages.conf (no
# 'unsafe-inline'), checked here first; each scenario fails on any CSP
# violation (lib.mjs).  Each scenario t/browser/*.mjs (lib.mjs aside)
# prints one JSON line per step; every step is one assertion here.  After
# them: conf's limit_req answers a burst of new calls with a JSON 429, and
# the caller API's log (log_format callcenter) holds no token.
#
#   prove -v t/browser.t                     every scenario
#   CC_BROWSER_SCENARIOS=flow prove -v t/browser.t
#
# Screenshots: artifacts/screenshots/<scenario>/ (gitignored).  Needs
# `npm ci` (node_modules/playwright-core) and /usr/bin/chromium
# (CC_CHROMIUM overrides); skips without them.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use File::Path qw(make_path);
use IO::Select;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);

my $ROOT = CCTest->root;
my $CHROMIUM = $ENV{CC_CHROMIUM} // '/usr/bin/chromium';
my $NODE = (grep { -x } map { "$_/node" } split /:/, $ENV{PATH} // '')[0];
my $SCENARIO_TIMEOUT = $ENV{CC_BROWSER_TIMEOUT} // 300;

plan skip_all => 'node_modules/playwright-core missing (run npm ci)'
    unless -f "$ROOT/node_modules/playwright-core/package.json";
plan skip_all => "no browser at $CHROMIUM" unless -x $CHROMIUM;
plan skip_all => 'node not in PATH' unless $NODE;
plan skip_all => 'conf/callcenter.conf missing'
    unless -f "$ROOT/conf/callcenter.conf";

my @scenarios = map { m{([^/]+)\.mjs$} ? $1 : () }
    sort glob("$ROOT/t/browser/*.mjs");
@scenarios = grep { $_ ne 'lib' } @scenarios;
if (my $only = $ENV{CC_BROWSER_SCENARIOS}) {
    my %want = map { $_ => 1 } split /[\s,]+/, $only;
    @scenarios = grep { $want{$_} } @scenarios;
}
plan skip_all => 'no scenario in t/browser/' unless @scenarios;

my $t = CCTest->new;    # skips if the build or a server is missing
my $dir = $t->testdir;

$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice',
      queues => ['sales', 'support', 'aftercare', 'afterhours'],
      skills => ['en', 'fr'], capacity => 2 },
    { id => 'bob', name => 'Bob',
      queues => ['support', 'billing', 'aftercare', 'returns'],
      skills => ['en'], capacity => 1 },
]);
# the queues of the routing scenarios (PROTOCOL "Queues and routing"):
# aftercare has a wrap-up (wrapup.mjs), an offer of returns that rings out
# sets its agent away (noanswer.mjs), afterhours gets closed hours from
# closed.mjs (which rewrites this file and sends the router SIGHUP)
my $queues = "$dir/queues.json";
CCTest::_write_file($queues, JSON::PP->new->canonical->pretty->encode({
    aftercare => { wrapup => 120 },
    returns => { max_no_answer => 1, offer_timeout => 4 },
    afterhours => {},
}));
chmod 0644, $queues;
my $router = $t->start_router('--offer-timeout', 30, '--queues', $queues);

# the agents' passwords, nginx's {PLAIN} scheme; readable by the workers
# (nobody when the tests run as root: CCTest makes the test dir 0755)
my %password = map { $_ => "$_-" . join '', map { ('a'..'z', 0..9)[rand 36] }
    1 .. 16 } qw(alice bob);
my $htpasswd = "$dir/agents.htpasswd";
open my $fh, '>', $htpasswd or die "$htpasswd: $!";
print $fh "$_:{PLAIN}$password{$_}\n" for sort keys %password;
close $fh;
chmod 0644, $htpasswd;

# conf/*.conf as a site includes them, their paths filled in the way the
# demo fills them (they include each other from the test dir)
my $caller_log = "$dir/callcenter.log";
for my $f (qw(callcenter.conf callcenter-http.conf headers-pages.conf
        headers-api.conf)) {
    my $text = do {
        open my $in, '<', "$ROOT/conf/$f" or die "conf/$f: $!";
        local $/;
        <$in>;
    };
    $text =~ s{/path/to/callcenter/conf/}{$dir/}g;
    $text =~ s{/path/to/callcenter/}{$ROOT/}g;
    $text =~ s{/path/to/callcenter\b}{$ROOT}g;
    $text =~ s{/path/to/agents\.htpasswd}{$htpasswd}g;
    $text =~ s{/var/log/nginx/callcenter\.log}{$caller_log}g;
    open $fh, '>', "$dir/$f" or die "$dir/$f: $!";
    print $fh $text;
    close $fh;
    chmod 0644, "$dir/$f";
}

# MIME types as the demo has them: module scripts need a JavaScript type
my $types = do {
    my $demo = '';
    if (open my $in, '<', "$ROOT/conf/demo.conf.in") {
        local $/;
        $demo = <$in>;
    }
    $demo =~ /^(\s*types\s*\{.*?\})/ms ? $1 : 'include /etc/nginx/mime.types;';
};

# nginx workers run as nobody when the tests run as root: if html/ is not
# readable by others (a checkout in a 0700 home), run them as root instead
my @main;
if ($> == 0) {
    my ($path, $open) = ('', 1);
    for my $part ('', grep { length } split m{/}, "$ROOT/html") {
        $path .= "$part/";
        my @st = stat $path or next;
        $open = 0 unless ($st[2] & 05) == 05;
    }
    unless ($open) {
        @main = (main => 'user root;');
        note("$ROOT/html is not readable by others: nginx workers run as root");
    }
}

# the shop (the site's own location) under the pages' CSP, as in the demo
$t->start_nginx(<<"EOF", @main, http => <<"HTTP");
location / {
            root $ROOT/html/demo;
            include $dir/headers-pages.conf;
        }
        include $dir/callcenter.conf;
EOF
$types
    include $dir/callcenter-http.conf;
    default_type application/octet-stream;
    charset utf-8;
    charset_types text/css text/javascript application/json;
HTTP

my $base = 'http://127.0.0.1:' . $t->port;

sub basic_auth {
    my ($a) = @_;
    require MIME::Base64;
    return { Authorization => 'Basic '
        . MIME::Base64::encode_base64("$a:$password{$a}", '') };
}

# the layout serves what the browser needs, before any browser runs, each
# page under a CSP without 'unsafe-inline' (the scenarios then fail on any
# violation), every answer with nosniff
sub page_headers_ok {
    my ($what, $r) = @_;
    my $csp = $r->{headers}{'content-security-policy'} // '';
    ok($csp =~ /\bscript-src 'self'(?:;|$)/ && $csp =~ /\bstyle-src 'self'(?:;|$)/
        && $csp =~ /\bdefault-src 'none'/ && $csp =~ /\bframe-ancestors 'self'/
        && $csp !~ /unsafe-|\*/, "$what: the pages' strict CSP")
        or diag("Content-Security-Policy: $csp");
    is($r->{headers}{'x-content-type-options'}, 'nosniff', "$what: nosniff");
    is($r->{headers}{'referrer-policy'}, 'same-origin', "$what: Referrer-Policy");
}
for my $p ('/', '/callcenter/callcenter.js', '/callcenter/call.html',
        '/callcenter/wallboard.html') {
    my $r = $t->http('GET', $p);
    is($r->{status}, 200, "GET $p: 200");
    page_headers_ok("GET $p", $r);
}
is($t->http('GET', '/agent/')->{status}, 401,
    'GET /agent/ without credentials: 401');
page_headers_ok('GET /agent/ (the dashboard)',
    $t->http('GET', '/agent/', headers => basic_auth('alice')));
for my $q (['GET', '/callcenter/status'], ['POST', '/call'],
        ['GET', '/agent/events']) {
    my $r = $t->http($q->[0], $q->[1], body => '{"queue": "Bad Queue!"}');
    my $csp = $r->{headers}{'content-security-policy'} // '';
    ok($csp =~ /default-src 'none'/ && $csp =~ /frame-ancestors 'none'/
        && $r->{headers}{'x-content-type-options'} eq 'nosniff',
        "@$q ($r->{status}): the APIs' CSP and nosniff")
        or diag("Content-Security-Policy: $csp");
}

for my $name (@scenarios) {
    subtest "browser scenario $name" => sub { run_scenario($name) };
    reset_stack();
}

# Per-address defence (conf/callcenter.conf's limit_req on /call): one
# client firing new calls gets nginx's 429, as JSON like the module's,
# past the burst.  The bodies are refused (a bad queue name), so nothing
# is stored whichever answers.
{
    my ($first, @before);
    for (1 .. 40) {
        my $r = $t->http('POST', '/call', body => '{"queue": "Bad Queue!"}',
            headers => { 'Content-Type' => 'application/json' });
        if ($r->{status} == 429) { $first = $r; last }
        push @before, $r->{status};
    }
    is(join(' ', grep { $_ != 400 } @before), '',
        'before the limit, the module answers (400: a bad queue name)');
    ok($first, 'a burst of new calls from one address: 429 after '
        . scalar(@before) . ' (burst=10)')
        and do {
        like($first->{headers}{'content-type'}, qr{^application/json},
            '429: JSON');
        is_deeply($first->{json}, { error => 'too many requests' },
            '429: {"error": "too many requests"}');
        is($first->{headers}{'x-content-type-options'}, 'nosniff',
            '429: nosniff');
    };
}

# The caller API's own log (log_format callcenter): the scenarios' event
# streams are there, and so is the 429, but no token: the stream URLs
# carry ?token=, the POSTs X-Call-Token.
{
    # nginx writes a request's log line after its answer: the 429 (the
    # last request) is waited for
    my $log = $t->wait_for(sub {
        my $text = CCTest::_read_file($caller_log) // '';
        $text =~ m{"POST /call HTTP/1\.1" 429 } && $text;
    }) // CCTest::_read_file($caller_log) // '';
    like($log, qr{"GET /call/[A-Za-z0-9_-]+/events HTTP/1\.1" 200 },
        'the caller log holds the event streams');
    like($log, qr{"POST /call/[A-Za-z0-9_-]+/(?:messages|hangup) HTTP/1\.1" 20[02] },
        'the caller log holds the POSTs that carried X-Call-Token');
    like($log, qr{"POST /call HTTP/1\.1" 429 }, 'the caller log holds the 429');
    my @leaks = grep { /token/i } split /\n/, $log;
    is(scalar @leaks, 0, 'no token in the caller log')
        or diag(join "\n", @leaks[0 .. ($#leaks > 4 ? 4 : $#leaks)]);
}

done_testing;

# Each scenario meets the stack at rest, whatever the one before left
# behind, failed: no call waiting, held or offered, every agent away.  The
# status page holds figures, not call ids: the ids come from Redis.
sub reset_stack {
    my %json = ('Content-Type' => 'application/json');
    for my $a (sort keys %password) {
        my %h = (%{ basic_auth($a) }, %json);
        my @ids = map { ref $_ eq 'ARRAY' ? @$_ : () }
            $t->redis_cmd('SMEMBERS', "cc:agent:$a:calls");
        $t->http('POST', "/agent/calls/$_/end", headers => \%h) for @ids;
        @ids = map { ref $_ eq 'ARRAY' ? @$_ : () }
            $t->redis_cmd('SMEMBERS', "cc:agent:$a:offers");
        $t->http('POST', "/agent/calls/$_/reject", headers => \%h) for @ids;
        $t->http('POST', '/agent/status', headers => \%h,
            body => '{"status":"away"}');
    }
    # the waiting, those with a message left too: ended (a wait of 1 ms
    # is over for all)
    my $ended = $t->fcall('cc_expire_calls', 1, 1000, 1);
    die "reset: cc_expire_calls: " . $ended->message . "\n"
        if ref $ended eq 'CCTest::Error';
}

# Runs node t/browser/NAME.mjs in its own process group, one assertion per
# step it reports.
sub run_scenario {
    my ($name) = @_;
    my $artifacts = "$ROOT/artifacts/screenshots/$name";
    make_path($artifacts);
    unlink glob("$artifacts/*.png");
    my $stderr_log = "$dir/browser-$name.stderr";

    local $ENV{CC_BASE_URL} = $base;
    local $ENV{CC_AGENT_USER} = 'alice';
    local $ENV{CC_AGENT_PASSWORD} = $password{alice};
    local $ENV{CC_AGENT2_USER} = 'bob';
    local $ENV{CC_AGENT2_PASSWORD} = $password{bob};
    local $ENV{CC_ARTIFACTS} = $artifacts;
    local $ENV{CC_CHROMIUM} = $CHROMIUM;
    local $ENV{CC_QUEUES_FILE} = $queues;
    local $ENV{CC_ROUTER_PID} = $router->{pid};

    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        close $r;
        POSIX::setpgid(0, 0);
        chdir $ROOT or POSIX::_exit(126);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>&', $w or POSIX::_exit(126);
        open STDERR, '>', $stderr_log or POSIX::_exit(126);
        { no warnings "exec"; exec $NODE, "t/browser/$name.mjs"; }
        POSIX::_exit(127);
    }
    close $w;

    my ($buf, $end, $steps, $timed_out) = ('', undef, 0, 0);
    my $sel = IO::Select->new($r);
    my $deadline = time + $SCENARIO_TIMEOUT;
    my $handle = sub {
        my ($line) = @_;
        my $m = $line =~ /^\{/ ? CCTest::decode_json_maybe($line) : undef;
        unless (ref $m eq 'HASH') {
            note("$name: $line");
            return;
        }
        if (defined $m->{step}) {
            $steps++;
            ok($m->{ok}, "$name: $m->{step}")
                or diag("$name: $m->{step}:\n" . ($m->{error} // '?'));
        } elsif (defined $m->{diag}) {
            note("$name: $m->{diag}");
        } elsif ($m->{end}) {
            $end = $m;
        }
    };
    while (1) {
        my $left = $deadline - time;
        if ($left <= 0) { $timed_out = 1; last }
        next unless $sel->can_read($left > 1 ? 1 : $left);
        my $n = sysread($r, my $chunk, 65536);
        last unless $n;
        $buf .= $chunk;
        while ($buf =~ s/^([^\n]*)\n//) { $handle->($1) }
    }
    $handle->($buf) if length $buf;
    close $r;

    # the process group: node and the Chromium it started
    kill 'TERM', -$pid if $timed_out;
    my $status;
    my $stop = time + 15;
    while (1) {
        my $got = waitpid($pid, WNOHANG);
        if ($got == $pid) { $status = $?; last }
        last if $got == -1;
        if (time > $stop) { kill 'KILL', -$pid; $stop = time + 5 }
        sleep 0.05;
    }
    kill 'KILL', -$pid;     # whatever is left of the group (none normally)

    ok(!$timed_out, "$name: finished within ${SCENARIO_TIMEOUT}s")
        or diag("$name: killed after ${SCENARIO_TIMEOUT}s");
    ok($end && $end->{ok} && defined $status && $status == 0 && $steps > 0,
        "$name: ran to its end, every step passed")
        or diag("$name: exit status " . ($status // 'unknown')
            . ", steps $steps, stderr:\n"
            . join("\n", grep { length } (split /\n/,
                CCTest::_read_file($stderr_log))[0 .. 40]));
}
