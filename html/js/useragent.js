// A User-Agent header in words an agent reads at a glance:
// "Chrome 120 on Windows", "Safari 17 on iOS".

const BROWSERS = [
  [/Edg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/OPR\/(\d+)/, 'Opera'],
  [/SamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
  [/CriOS\/(\d+)/, 'Chrome'],
  [/HeadlessChrome\/(\d+)/, 'Headless Chrome'],
  [/Chrom(?:e|ium)\/(\d+)/, 'Chrome'],
  [/Version\/(\d+)[.\d]* (?:Mobile\/\S+ )?Safari\//, 'Safari'],
  [/curl\/(\d+)/, 'curl'],
];

const SYSTEMS = [
  [/Windows NT 10/, 'Windows'],
  [/Windows NT 6\.3/, 'Windows 8.1'],
  [/Windows NT 6\.1/, 'Windows 7'],
  [/Windows/, 'Windows'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Mac OS X/, 'macOS'],
  [/Android (\d+)/, 'Android'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

export function describeUserAgent(ua) {
  if (!ua) return '';
  let browser = '';
  for (const [re, name] of BROWSERS) {
    const m = re.exec(ua);
    if (m) {
      browser = `${name} ${m[1]}`;
      break;
    }
  }
  let system = '';
  for (const [re, name] of SYSTEMS) {
    const m = re.exec(ua);
    if (m) {
      system = m[1] ? `${name} ${m[1]}` : name;
      break;
    }
  }
  const mobile = /Mobi|iPhone|Android.*Mobile/.test(ua) ? ' (mobile)' : '';
  if (browser && system) return `${browser} on ${system}${mobile}`;
  return browser || system || ua.slice(0, 80);
}
