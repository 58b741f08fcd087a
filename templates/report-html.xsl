<?xml version="1.0" encoding="UTF-8"?>
<!-- The HTML report (docs/report.md): the XML report (templates/report.xsd) as one self-contained
     page people read. The ceremony as a timeline, who signed what, incidents and findings standing
     out. No script, no external resource: the page shows the same in any browser, offline. -->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:r="urn:ceremony:report:1"
                exclude-result-prefixes="r">
  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:template match="/r:report">
    <html lang="en">
      <head>
        <meta charset="UTF-8"/>
        <title>Ceremony <xsl:value-of select="r:ceremony/@id"/>: <xsl:value-of select="r:verdict/@result"/></title>
        <style>
          body { font-family: sans-serif; margin: 2em; color: #222; max-width: 70em; }
          h1 { margin-bottom: 0.2em; }
          .verdict { font-size: 1.4em; font-weight: bold; padding: 0.5em 1em; border-radius: 0.3em; display: inline-block; }
          .VERIFIED { background: #d8f5d8; color: #0a5a0a; }
          .NOT-VERIFIED { background: #fbd5d5; color: #8a0000; }
          .UNANCHORED, .OPEN, .INVALIDATED { background: #fff1c4; color: #6a4a00; }
          table { border-collapse: collapse; width: 100%; margin: 1em 0; }
          th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; vertical-align: top; font-size: 0.9em; }
          th { background: #f0f0f0; }
          tr.incident td { background: #fde2e2; }
          tr.restart td { background: #fff4d6; }
          tr.close td { background: #e4f4e4; }
          .finding { background: #fbd5d5; border-left: 0.4em solid #c00; padding: 0.4em 0.8em; margin: 0.4em 0; }
          .hex { font-family: monospace; word-break: break-all; }
          .words { font-style: italic; color: #555; }
          .op { font-family: monospace; font-size: 0.85em; }
        </style>
      </head>
      <body>
        <h1>Ceremony <xsl:value-of select="r:ceremony/@id"/></h1>
        <p class="verdict {r:verdict/@result}" id="verdict">Verdict: <xsl:value-of select="r:verdict/@result"/></p>
        <p>
          <xsl:value-of select="r:summary/@records"/> records in <xsl:value-of select="r:summary/@sessions"/> session(s),
          <xsl:value-of select="r:summary/@incidents"/> incident(s), <xsl:value-of select="r:summary/@signatures-checked"/> signatures checked;
          script replayed against the <xsl:value-of select="r:summary/@scenario-source"/> scenario.
          <xsl:if test="r:vault-log">
            Vault log: <xsl:value-of select="r:vault-log/@lines"/> lines;
            <xsl:value-of select="r:vault-log/@operations-joined"/> of <xsl:value-of select="r:vault-log/@operations-claimed"/>
            vault operations the records report are in it as reported.
          </xsl:if>
        </p>

        <h2 id="findings">Findings (<xsl:value-of select="r:findings/@count"/>)</h2>
        <xsl:if test="not(r:findings/r:finding)"><p>None.</p></xsl:if>
        <xsl:for-each select="r:findings/r:finding">
          <div class="finding">
            <strong><xsl:value-of select="@code"/></strong>
            <xsl:if test="@record"> (record <xsl:value-of select="@record"/>)</xsl:if>:
            <xsl:value-of select="."/>
          </div>
        </xsl:for-each>

        <h2>Timeline</h2>
        <table id="timeline">
          <tr><th>#</th><th>time (UTC)</th><th>session</th><th>record</th><th>actor</th><th>signed off by</th><th>what was recorded</th></tr>
          <xsl:for-each select="r:records/r:record">
            <tr class="{@type}">
              <td><xsl:value-of select="@sequence"/></td>
              <td><xsl:value-of select="@time"/></td>
              <td><xsl:value-of select="@session"/></td>
              <td><xsl:value-of select="@type"/><xsl:text> </xsl:text><strong><xsl:value-of select="@step"/></strong>
                <xsl:if test="@confirmed = 'true'"> (confirmed)</xsl:if></td>
              <td><xsl:value-of select="@actor"/></td>
              <td><xsl:for-each select="r:signoff"><xsl:value-of select="@participant"/><xsl:if test="position() != last()">, </xsl:if></xsl:for-each></td>
              <td>
                <xsl:for-each select="r:value"><div><xsl:value-of select="@name"/> = <xsl:value-of select="."/></div></xsl:for-each>
                <xsl:for-each select="r:attachment"><div><xsl:value-of select="@name"/>: <xsl:value-of select="@size"/> bytes, sha256 <span class="hex"><xsl:value-of select="@sha256"/></span><xsl:if test="@stored = 'true'"> (kept)</xsl:if></div></xsl:for-each>
                <xsl:for-each select="r:vault-operation">
                  <div class="op">vault <xsl:value-of select="@op"/><xsl:text> </xsl:text><xsl:value-of select="@label"/> (<xsl:value-of select="@outcome"/>), log line <xsl:value-of select="@log-seq"/>
                    <xsl:if test="@who">, key master <xsl:value-of select="@who"/>, share <xsl:value-of select="@share-index"/></xsl:if>
                    <xsl:if test="@fingerprint"><br/><xsl:value-of select="@algorithm"/> key fingerprint <span class="hex"><xsl:value-of select="@fingerprint"/></span></xsl:if>
                    <xsl:if test="@signature-sha256"><br/>signed sha256 <span class="hex"><xsl:value-of select="@message-sha256"/></span></xsl:if>
                    <xsl:if test="@vault-id"><br/>vault id <span class="hex"><xsl:value-of select="@vault-id"/></span></xsl:if>
                  </div>
                </xsl:for-each>
                <xsl:for-each select="r:incident"><div><strong>Incident (<xsl:value-of select="@kind"/>)</strong>: expected <xsl:value-of select="r:expected"/>; happened: <xsl:value-of select="r:happened"/></div></xsl:for-each>
                <xsl:for-each select="r:note"><div><em>note: <xsl:value-of select="."/></em></div></xsl:for-each>
              </td>
            </tr>
          </xsl:for-each>
        </table>

        <h2>Participants</h2>
        <table id="participants">
          <tr><th>participant</th><th>keys (SHA-256 fingerprints)</th></tr>
          <xsl:for-each select="r:participants/r:participant">
            <tr><td><xsl:value-of select="@id"/></td>
              <td><xsl:for-each select="r:key"><div class="hex"><xsl:value-of select="@fingerprint"/></div></xsl:for-each></td></tr>
          </xsl:for-each>
        </table>

        <h2>Hashes</h2>
        <p>Scenario SHA-256: <span class="hex"><xsl:value-of select="r:ceremony/r:scenario-sha256/@hex"/></span><br/>
          <span class="words"><xsl:value-of select="r:ceremony/r:scenario-sha256/@words"/></span></p>
        <p>Last record hash (for a closed ceremony, the closing hash): <span class="hex" id="last-record-hash"><xsl:value-of select="r:last-record-hash/@hex"/></span><br/>
          <span class="words"><xsl:value-of select="r:last-record-hash/@words"/></span></p>
        <p>Verified by ceremony <xsl:value-of select="r:verifier/@version"/> (build <xsl:value-of select="r:verifier/@build"/>).</p>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
