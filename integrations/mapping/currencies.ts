/**
 * ISO 4217 minor-unit exponents (list one, active codes incl. fund codes, as published 2025).
 * Every code is listed: an unknown currency is a mapping error, never a guessed exponent.
 */
const EXPONENT_0 = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const EXPONENT_3 = 'BHD IQD JOD KWD LYD OMR TND';
const EXPONENT_4 = 'CLF UYW';
const EXPONENT_2 = [
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD',
  'CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS',
  'GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL',
  'MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK',
  'PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS',
  'TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VES WST XCD XCG YER ZAR ZMW ZWG',
].join(' ');

function table(...groups: readonly (readonly [string, number])[]): ReadonlyMap<string, number> {
  return new Map(
    groups.flatMap(([codes, exponent]) => codes.split(' ').map((code) => [code, exponent] as const)),
  );
}

export const CURRENCY_EXPONENTS: ReadonlyMap<string, number> = table(
  [EXPONENT_0, 0],
  [EXPONENT_2, 2],
  [EXPONENT_3, 3],
  [EXPONENT_4, 4],
);
