#!/usr/bin/env python3
"""The one-mile circle's edge, measured on the two recordings of police.uk's answer to
crimes-street/all-crime?lat=51.5017355&lng=0.0055388&date=2014-08 (docs/COMPATIBILITY.md,
"The one-mile circle"). Standard library only; reads ../shared/data/police-uk/api/ (or the
folder given as the first argument). Prints the distance table, which candidate rules fit
each recording, and where the second recording's centre can be under each distance."""
import json
import math
import os
import sys

DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), '..', '..', '..', 'shared', 'data', 'police-uk', 'api')
NAME = 'crimes-street/all-crime_lat51.5017355_lng0.0055388_2014-08'
FIRST = json.load(open(os.path.join(DATA, NAME + '.json')))
SECOND = json.load(open(os.path.join(DATA, NAME + '_snapshot2.json')))
CENTRE = (51.5017355, 0.0055388)
MILE = 1609.344
R_MEAN = 6371008.8


def haversine(a, b, c, d, radius=R_MEAN):
    p1, p2 = math.radians(a), math.radians(c)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(d - b) / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(h))


def vincenty(lat1, lon1, lat2, lon2):
    a = 6378137.0
    f = 1 / 298.257223563
    b = (1 - f) * a
    L = math.radians(lon2 - lon1)
    U1 = math.atan((1 - f) * math.tan(math.radians(lat1)))
    U2 = math.atan((1 - f) * math.tan(math.radians(lat2)))
    sU1, cU1, sU2, cU2 = math.sin(U1), math.cos(U1), math.sin(U2), math.cos(U2)
    lam = L
    for _ in range(200):
        sl, cl = math.sin(lam), math.cos(lam)
        ss = math.hypot(cU2 * sl, cU1 * sU2 - sU1 * cU2 * cl)
        cs = sU1 * sU2 + cU1 * cU2 * cl
        sig = math.atan2(ss, cs)
        sa = cU1 * cU2 * sl / ss
        c2a = 1 - sa * sa
        c2sm = cs - 2 * sU1 * sU2 / c2a
        C = f / 16 * c2a * (4 + f * (4 - 3 * c2a))
        previous = lam
        lam = L + (1 - C) * f * sa * (sig + C * ss * (c2sm + C * cs * (-1 + 2 * c2sm * c2sm)))
        if abs(lam - previous) < 1e-13:
            break
    u2 = c2a * (a * a - b * b) / (b * b)
    A = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)))
    B = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)))
    ds = B * ss * (c2sm + B / 4 * (cs * (-1 + 2 * c2sm * c2sm) - B / 6 * c2sm * (-3 + 4 * ss * ss) * (-3 + 4 * c2sm * c2sm)))
    return b * A * (sig - ds)


def to_british_national_grid(lat, lon):
    """WGS84 -> OSGB36 (Helmert, Ordnance Survey's published parameters) -> easting/northing."""
    a, b = 6378137.0, 6356752.3141
    e2 = 1 - b * b / (a * a)
    p, l = math.radians(lat), math.radians(lon)
    nu = a / math.sqrt(1 - e2 * math.sin(p) ** 2)
    x, y, z = nu * math.cos(p) * math.cos(l), nu * math.cos(p) * math.sin(l), (1 - e2) * nu * math.sin(p)
    tx, ty, tz, s = -446.448, 125.157, -542.060, 20.4894e-6
    rx, ry, rz = [math.radians(v / 3600) for v in (-0.1502, -0.2470, -0.8421)]
    x, y, z = (tx + (1 + s) * x - rz * y + ry * z, ty + rz * x + (1 + s) * y - rx * z, tz - ry * x + rx * y + (1 + s) * z)
    a, b = 6377563.396, 6356256.909
    e2 = 1 - b * b / (a * a)
    p2 = math.hypot(x, y)
    lat_ = math.atan2(z, p2 * (1 - e2))
    for _ in range(10):
        nu = a / math.sqrt(1 - e2 * math.sin(lat_) ** 2)
        lat_ = math.atan2(z + e2 * nu * math.sin(lat_), p2)
    lon_ = math.atan2(y, x)
    F0, lat0, lon0, N0, E0 = 0.9996012717, math.radians(49), math.radians(-2), -100000, 400000
    n = (a - b) / (a + b)
    nu = a * F0 / math.sqrt(1 - e2 * math.sin(lat_) ** 2)
    rho = a * F0 * (1 - e2) * (1 - e2 * math.sin(lat_) ** 2) ** -1.5
    eta2 = nu / rho - 1
    dp, sp = lat_ - lat0, lat_ + lat0
    M = b * F0 * ((1 + n + 5 / 4 * n ** 2 + 5 / 4 * n ** 3) * dp - (3 * n + 3 * n ** 2 + 21 / 8 * n ** 3) * math.sin(dp) * math.cos(sp)
                  + (15 / 8 * n ** 2 + 15 / 8 * n ** 3) * math.sin(2 * dp) * math.cos(2 * sp) - 35 / 24 * n ** 3 * math.sin(3 * dp) * math.cos(3 * sp))
    c, s_, t = math.cos(lat_), math.sin(lat_), math.tan(lat_)
    dl = lon_ - lon0
    N = (M + N0 + nu / 2 * s_ * c * dl ** 2 + nu / 24 * s_ * c ** 3 * (5 - t * t + 9 * eta2) * dl ** 4
         + nu / 720 * s_ * c ** 5 * (61 - 58 * t * t + t ** 4) * dl ** 6)
    E = (E0 + nu * c * dl + nu / 6 * c ** 3 * (nu / rho - t * t) * dl ** 3
         + nu / 120 * c ** 5 * (5 - 18 * t * t + t ** 4 + 14 * eta2 - 58 * t * t * eta2) * dl ** 5)
    return E, N


def grid(a, b, c, d):
    (e1, n1), (e2, n2) = to_british_national_grid(a, b), to_british_national_grid(c, d)
    return math.hypot(e1 - e2, n1 - n2)


def equirectangular(a, b, c, d):
    return R_MEAN * math.hypot(math.radians(d - b) * math.cos(math.radians(a)), math.radians(c - a))


PER_DEGREE = R_MEAN * math.pi / 180
METRICS = {
    'great circle, R = 6,371,008.8 m (ours)': haversine,
    'great circle, R = 6,378,137 m (WGS84 a)': lambda a, b, c, d: haversine(a, b, c, d, 6378137.0),
    'great circle, R = 6,356,752 m (WGS84 b)': lambda a, b, c, d: haversine(a, b, c, d, 6356752.3),
    'ellipsoid (Vincenty, WGS84)': vincenty,
    'British National Grid metres (OSGB36)': grid,
    'flat: equirectangular at the centre': equirectangular,
    'degrees: hypot(dlat, dlng) x 111,195 m': lambda a, b, c, d: math.hypot(c - a, d - b) * PER_DEGREE,
    'box: max(|dlat|, |dlng| cos lat) in m': lambda a, b, c, d: max(abs(c - a), abs(d - b) * math.cos(math.radians(a))) * PER_DEGREE,
    'box in degrees: max(|dlat|, |dlng|) x 111,195 m': lambda a, b, c, d: max(abs(c - a), abs(d - b)) * PER_DEGREE,
}


def points(crimes):
    return {(float(c['location']['latitude']), float(c['location']['longitude'])) for c in crimes}


def fits(metric, centre, included, excluded):
    return all(metric(*centre, *p) <= MILE for p in included) and all(metric(*centre, *p) > MILE for p in excluded)


first, second = points(FIRST), points(SECOND)
recordings = {'first': (first, second - first), 'second': (second, first - second)}
names = {}
for crime in FIRST + SECOND:
    location = crime['location']
    names[(float(location['latitude']), float(location['longitude']))] = location['street']['name'].replace('On or near ', '')
edge = sorted(first | second, key=lambda p: -haversine(*CENTRE, *p))[:6]
label = lambda p: names[p] + (' (2nd only)' if p not in first else ' (1st only)' if p not in second else '')
print('| distance (m) from the recorded point | ' + ' | '.join(label(p) for p in edge)
      + ' | radii fitting the 1st | radii fitting the 2nd |')
print('|---|' + '---:|' * len(edge) + '---|---|')
for name, metric in METRICS.items():
    cells = ['%.1f' % metric(*CENTRE, *p) for p in edge]
    ranges = []
    for included, excluded in recordings.values():
        inside, outside = max(metric(*CENTRE, *p) for p in included), min(metric(*CENTRE, *p) for p in excluded)
        ranges.append('%.1f–%.1f' % (inside, outside) if inside < outside else 'none')
    print('| %s | %s | %s | %s |' % (name, ' | '.join(cells), ranges[0], ranges[1]))

print('\nCentres within about 60 m from which the 2nd recording is exactly one mile (1 m grid):')
included, excluded = recordings['second']
outer = sorted(included, key=lambda p: -haversine(*CENTRE, *p))[:40]
for name in ('great circle, R = 6,371,008.8 m (ours)', 'ellipsoid (Vincenty, WGS84)', 'British National Grid metres (OSGB36)'):
    metric = METRICS[name]
    found = [(CENTRE[0] + i * 1e-5, CENTRE[1] + j * 1e-5) for i in range(-60, 61) for j in range(-100, 101)
             if fits(metric, (CENTRE[0] + i * 1e-5, CENTRE[1] + j * 1e-5), outer, excluded)]
    if found:
        lats, lngs = [c[0] for c in found], [c[1] for c in found]
        print('  %s: %d, lat %.6f..%.6f, lng %.6f..%.6f' % (name, len(found), min(lats), max(lats), min(lngs), max(lngs)))
    else:
        print('  %s: none' % name)
