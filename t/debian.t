# The Debian packages (PROTOCOL.md, "Build artifacts"): dpkg-buildpackage
# builds both in a copy of the repository, lintian finds no error, apt
# installs them on this machine, every file is where the contract says, a
# call goes through the SYSTEM nginx (its own prefix and loopback port, the
# package's modules-enabled file and snippets) with a router started as its
# unit would start it, and purging leaves nothing (files, user, unit links,
# packages).  Whatever happens, the END block leaves the machine as found.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use File::Temp qw(tempdir);
use MIME::Base64 qw(encode_base64);

my @PKGS = qw(libnginx-mod-http-callcenter callcenter-router);
# other test files may be running apt at the same time: wait for its lock
my @APT = ('apt-get', '-y', '-q', '-o', 'DPkg::Lock::Timeout=120');
my $USER = 'callcenter-router';

sub have { system("command -v '$_[0]' >/dev/null 2>&1") == 0 }
sub installed {
    my $s = `dpkg-query -W -f='\${Status}' '$_[0]' 2>/dev/null`;
    return $s =~ /\binstalled$/ || $s =~ /config-files$/;
}
sub run_log {
    my ($log, @cmd) = @_;
    my $cmd = join ' ', map { "'$_'" } @cmd;
    system("$cmd >>'$log' 2>&1");
    return $? >> 8;
}
sub slurp { CCTest::_read_file($_[0]) }

plan skip_all => 'installs packages: needs root' if $> != 0;
for my $tool (qw(dpkg-buildpackage dh lintian apt-get git)) {
    plan skip_all => "$tool missing (scripts/install-deps.sh --tests)"
        unless have($tool);
}
plan skip_all => 'nginx-dev missing (/usr/share/nginx/src)'
    unless -f '/usr/share/nginx/src/conf_flags';
plan skip_all => 'not a git checkout (the copy is made with git ls-files)'
    unless -d CCTest->root . '/.git' || -f CCTest->root . '/.git';
for my $p (@PKGS) {
    plan skip_all => "$p is installed already: purging it would not leave"
        . ' the machine as found' if installed($p);
}
plan skip_all => "user $USER exists already"
    if getpwnam($USER) || getgrnam($USER);
plan skip_all => 'redis-server missing' unless CCTest->redis_server_binary;

my $t = CCTest->new(skip_missing => 0);   # no build/ needed: the packages
my $work = tempdir('ccdeb-XXXXXXXX', TMPDIR => 1,
    CLEANUP => $ENV{CC_TEST_KEEP} ? 0 : 1);
my $log = "$work/log";
my $calllog = '/var/log/nginx/callcenter.log';
my $htpasswd = '/etc/callcenter/agents.htpasswd';
my $policy = '/usr/sbin/policy-rc.d';

# what this file changes on the machine, undone by END whatever happens
my (%undo, $router_pid, @pulled);
$undo{calllog} = 1 unless -e $calllog;
END {
    local $?;
    if ($router_pid) { CCTest::_stop_pid($router_pid, TERM => 10) }
    $t->stop_nginx if $t;
    unlink $htpasswd if $undo{htpasswd};
    unlink $calllog if $undo{calllog};
    if ($undo{packages}) {
        my @left = grep { installed($_) } @PKGS, @pulled;
        system(@APT, 'purge', @left) if @left;
        system('userdel', $USER) if getpwnam($USER);
        system('groupdel', $USER) if getgrnam($USER);
    }
    unlink $policy if $undo{policy};
}

# ---- build, in a copy of the tracked (and new, not ignored) files

my $root = CCTest->root;
my $status = `git -C '$root' status --porcelain --ignored 2>&1`;
my $src = "$work/src";
mkdir $src;
my @tracked = grep { -e "$root/$_" || -l "$root/$_" } split /\0/,
    `git -C '$root' ls-files -z -co --exclude-standard`;
my $copied = 1;
while (my @batch = splice @tracked, 0, 200) {
    $copied &&= system({ 'sh' } 'sh', '-c', 'cd "$0" && d=$1 && shift'
        . ' && exec cp -P --parents -t "$d" -- "$@"', $root, $src,
        @batch) == 0;
}
ok($copied, 'repository copied with git ls-files');
{
    local $ENV{DEB_BUILD_OPTIONS} = join ' ', grep { length }
        $ENV{DEB_BUILD_OPTIONS} // '', 'parallel=2';
    is(run_log($log, 'sh', '-c',
        "cd '$src' && dpkg-buildpackage -b -us -uc"), 0,
        'dpkg-buildpackage -b -us -uc') or diag slurp($log);
}
my %deb = map { $_ => (glob("$work/${_}_*.deb"))[0] } @PKGS;
ok($deb{$_}, "$_ built") for @PKGS;
my ($changes) = glob("$work/*.changes");
unless ($deb{$PKGS[0]} && $deb{$PKGS[1]} && $changes) {
    done_testing;
    exit;
}

my @lint = `lintian --pedantic '$changes' 2>&1`;
my @errors = grep { /^E: / } @lint;
ok(!@errors, 'lintian: no error') or diag @errors;
diag('lintian: ' . join '', grep { /^[WI]: / } @lint)
    if $ENV{CC_TEST_VERBOSE};

# the module depends on the ABI of the nginx it was built for (provided
# by Debian's nginx package, nginx-core in older releases)
my $abi = (`dpkg-query -W -f='\${Provides}\n' nginx nginx-core 2>/dev/null`
    =~ /(nginx-abi-[\w.-]+)/)[0];
ok($abi, "the installed nginx provides $abi");
like(`dpkg-deb -f '$deb{'libnginx-mod-http-callcenter'}' Depends`,
    qr/(?:^|, )\Q$abi\E(?:,|$)/m, "module depends on $abi") if $abi;

# ---- install with apt; no service started (policy-rc.d, as install-deps)

unless (-e $policy) {
    CCTest::_write_file($policy, "#!/bin/sh\nexit 101\n");
    chmod 0755, $policy;
    $undo{policy} = 1;
}
$undo{packages} = 1;
{
    local $ENV{DEBIAN_FRONTEND} = 'noninteractive';
    is(run_log($log, @APT, 'install', '--no-install-recommends',
        $deb{$PKGS[0]}, $deb{$PKGS[1]}), 0,
        'apt-get install ./*.deb') or diag slurp($log);
}
ok(installed($_), "$_ installed") for @PKGS;
# what apt brought besides (nothing, when install-deps ran): purged too;
# from apt's own list, not a diff of dpkg's (others may install meanwhile)
my $listed = qr/^The following NEW packages will be installed:\n/m;
my ($new) = slurp($log) =~ /$listed((?:[ \t].*\n)+)/;
like($new // '', qr/\bcallcenter-router\b/, "apt's list of new packages");
@pulled = grep { my $p = $_; !grep { $_ eq $p } @PKGS }
    split ' ', $new // '';
diag("apt installed besides: @pulled") if @pulled;
my @files = map { split /\n/, `dpkg -L $_` } @PKGS;

my $unit = (grep { -f } map { "$_/callcenter-router.service" }
    qw(/lib/systemd/system /usr/lib/systemd/system))[0];
for my $f ('/usr/lib/nginx/modules/ngx_http_callcenter_module.so',
    '/usr/share/nginx/modules-available/mod-http-callcenter.conf',
    '/usr/bin/callcenter-router', '/etc/default/callcenter-router',
    '/etc/callcenter/agents.json', '/etc/callcenter/queues.json',
    '/etc/nginx/snippets/callcenter.conf',
    '/etc/nginx/snippets/callcenter-http.conf',
    '/usr/share/callcenter/html/callcenter.js',
    '/usr/share/callcenter/html/agent.html',
    '/usr/share/callcenter/html/wallboard.html',
    '/usr/share/doc/callcenter-router/examples/auth-request.conf')
{
    ok(-f $f, "$f installed");
}
ok($unit, 'callcenter-router.service installed');
like(slurp('/usr/share/nginx/modules-available/mod-http-callcenter.conf'),
    qr{^load_module modules/ngx_http_callcenter_module\.so;$}m,
    'modules-available: the load_module line');
my $enabled = '/etc/nginx/modules-enabled/50-mod-http-callcenter.conf';
is(readlink($enabled),
    '/usr/share/nginx/modules-available/mod-http-callcenter.conf',
    'enabled through a link in /etc/nginx/modules-enabled/');
is(slurp('/etc/callcenter/queues.json'), "{}\n", 'queues.json: {}');
my $conffiles = `dpkg-query -W -f='\${Conffiles}' callcenter-router`;
like($conffiles, qr{^ \Q$_\E }m, "$_ is a conffile")
    for qw(/etc/callcenter/agents.json /etc/callcenter/queues.json
        /etc/default/callcenter-router /etc/nginx/snippets/callcenter.conf);
is((stat '/etc/default/callcenter-router')[2] & 07777, 0600,
    '/etc/default/callcenter-router: 0600 (a password may go there)');
my @pw = getpwnam($USER);
ok(@pw && $pw[2] < 1000, "system user $USER created");
is($pw[8] // '', '/usr/sbin/nologin', "$USER has no shell");
unlike(slurp('/etc/nginx/snippets/callcenter.conf'), qr{/path/to},
    'snippet: no placeholder left');

# ---- the unit: hardened, checked by systemd-analyze

my $u = slurp($unit // '/dev/null');
my %unit;
push @{ $unit{$1} }, $2 while $u =~ /^(\w+)=(.*)$/mg;
is($unit{User}[0], $USER, "unit: User=$USER");
is($unit{Restart}[0], 'on-failure', 'unit: Restart=on-failure');
is($unit{ExecReload}[0], '/bin/kill -HUP $MAINPID', 'unit: ExecReload');
for (qw(ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes
    PrivateTmp=yes PrivateDevices=yes CapabilityBoundingSet=))
{
    my ($k, $v) = split /=/, $_, 2;
    is($unit{$k}[0], $v, "unit: $_");
}
SKIP: {
    skip 'systemd-analyze missing', 2 unless have('systemd-analyze');
    my $out = `systemd-analyze verify '$unit' 2>&1`;
    is($?, 0, 'systemd-analyze verify') or diag $out;
    $out = `systemd-analyze security --offline=yes '$unit' 2>&1`;
    my ($level) = $out =~ /Overall exposure level for \S+: ([\d.]+)/;
    ok(defined $level && $level <= 2,
        'systemd-analyze security: exposure ' . ($level // '?')
        . ' (2 or less: "OK")') or diag $out;
}

# ---- the flow: system nginx + the package's module, snippets, pages

$t->start_redis;
# the operator's steps: the Redis address, the agents' passwords
my $default = slurp('/etc/default/callcenter-router');
my $port = $t->redis_port;
ok($default =~ s/--redis 127\.0\.0\.1:6379/--redis 127.0.0.1:$port/,
    '/etc/default/callcenter-router names --redis');
CCTest::_write_file('/etc/default/callcenter-router', $default);
$undo{htpasswd} = 1;
CCTest::_write_file($htpasswd, "alice:{PLAIN}s3cret\nbob:{PLAIN}b0b\n");
chmod 0644, $htpasswd;

# the router as the unit starts it: EnvironmentFile, ExecStart, User
my %env;
for my $ef (@{ $unit{EnvironmentFile} // [] }) {
    (my $path = $ef) =~ s/^-//;
    for (split /\n/, slurp($path)) {
        next unless /^\s*(\w+)=(.*)$/;
        my ($k, $v) = ($1, $2);
        $v =~ s/^"(.*)"$/$1/ or $v =~ s/^'(.*)'$/$1/;
        $env{$k} = $v;
    }
}
my @exec = map {
    /^\$(\w+)$/ ? split(' ', $env{$1} // '')
        : s/\$\{(\w+)\}/$env{$1} \/\/ ''/ger
} split ' ', $unit{ExecStart}[0] // '';
is($exec[0], '/usr/bin/callcenter-router', 'ExecStart runs the router');
my $rlog = $t->testdir . '/router-unit.log';
{
    local %ENV = (PATH => '/usr/sbin:/usr/bin:/sbin:/bin', %env);
    $router_pid = $t->_spawn($rlog, 'setpriv', "--reuid=$USER",
        "--regid=$unit{Group}[0]", '--clear-groups', '--no-new-privs',
        '--', @exec);
}
ok($t->wait_for(sub { slurp($rlog) =~ /agents loaded count=2/ },
    timeout => 15), "router as $USER loads /etc/callcenter/agents.json")
    or diag slurp($rlog);

# load_module modules/...: relative to the prefix, as /usr/share/nginx has it
symlink '/usr/lib/nginx/modules', $t->testdir . '/modules';
$t->start_nginx('include /etc/nginx/snippets/callcenter.conf;',
    module => '', main => 'include /etc/nginx/modules-enabled/*callcenter*;',
    http => 'include /etc/nginx/snippets/callcenter-http.conf;');

my $r = $t->http('GET', '/callcenter/callcenter.js');
is($r->{status}, 200, 'the widget from /usr/share/callcenter/html/');
like($r->{headers}{'content-security-policy'} // '', qr/script-src 'self'/,
    '... with the snippet\'s CSP');
my %alice = (Authorization => 'Basic ' . encode_base64('alice:s3cret', ''));
is($t->http('GET', '/agent/')->{status}, 401, 'dashboard: auth_basic');
$r = $t->http('GET', '/agent/', headers => \%alice);
is($r->{status}, 200, 'dashboard for alice');
like($r->{content} // '', qr/<html/i, '... agent.html');

my $c = $t->create_call(queue => 'sales', name => 'Zoe');
my $ev = $c->{stream}->next_event;
is($ev && $ev->{event}, 'queued', 'caller: queued');
my $sa = $t->sse('/agent/events', headers => \%alice);
is($t->http('POST', '/agent/status', body => '{"status":"available"}',
    headers => { %alice, 'Content-Type' => 'application/json' })->{status},
    200, 'alice available');
$ev = $sa->wait_event('offer', timeout => 10);
is($ev && $ev->{json}{call}, $c->{call}, 'the router offers the call');
is($t->http('POST', "/agent/calls/$c->{call}/accept",
    headers => \%alice)->{status},
    200, 'alice accepts');
$ev = $c->{stream}->wait_event('assigned');
is($ev && $ev->{json}{agent}{id}, 'alice', 'caller: assigned to alice');
$r = $t->http('GET', '/callcenter/status');
is($r->{json} && $r->{json}{agents}{alice}{calls}, 1, 'status: alice 1 call');

# ExecReload, as systemd runs it: SIGHUP reloads the agents file
my @reload = map { s/^\$MAINPID$/$router_pid/r } split ' ',
    $unit{ExecReload}[0] // '';
is(system(@reload), 0, "ExecReload: @reload");
ok($t->wait_for(sub {
    my @n = slurp($rlog) =~ /agents loaded count=2/g; @n >= 2 }),
    'SIGHUP (ExecReload) reloads the agents');
kill 'TERM', $router_pid;
is(CCTest::_wait_exit($router_pid, 10), 0, 'SIGTERM: the router exits 0');
undef $router_pid;
$t->stop_nginx;
$sa->close;
$c->{stream}->close;
ok(-f $calllog, "caller API logged to $calllog");
like(slurp($calllog), qr{"POST /call HTTP/1\.1" 201}, '... the POST');
unlike(slurp($calllog), qr/token=/, '... never a token');
unlink $htpasswd;
unlink $calllog if $undo{calllog};

# ---- purge: nothing left

{
    local $ENV{DEBIAN_FRONTEND} = 'noninteractive';
    is(run_log($log, @APT, 'purge', @PKGS, @pulled), 0,
        'apt-get purge both') or diag slurp($log);
}
ok(!installed($_), "$_ purged") for @PKGS;
# directories the packages share with others stay
my @left = grep { (-e || -l) && (!-d || m{callcenter}) } @files;
ok(!@left, 'no file of the packages left') or diag join "\n", @left;
ok(!-e '/etc/callcenter', '/etc/callcenter gone');
ok(!-e $enabled && !-l $enabled && !-l "$enabled.removed",
    'modules-enabled link gone');
my @units = (glob('/etc/systemd/system/*/callcenter-router*'),
    glob('/var/lib/systemd/deb-systemd-helper-*/*callcenter-router*'));
ok(!@units, 'no unit link or state left') or diag "@units";
ok(!getpwnam($USER) && !getgrnam($USER), "user and group $USER gone");
my @still = grep { installed($_) } @pulled;
ok(!@still, 'what apt brought with them purged too') or diag "@still";
is(`git -C '$root' status --porcelain --ignored 2>&1`, $status,
    'the repository is as it was');
delete $undo{packages} unless grep { installed($_) } @PKGS, @pulled;

done_testing;
